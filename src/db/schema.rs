//! Table definitions shared by both backends (hand-written: only types both backends support).

diesel::table! {
    organisations (id) {
        id -> Text,
        code -> Text,
        kind -> Text,
        jurisdiction -> Text,
        name -> Text,
        description -> Text,
        holidays -> Text,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    services (id) {
        id -> Text,
        organisation_id -> Text,
        code -> Text,
        category -> Text,
        texts -> Text,
        fee_amount -> BigInt,
        fee_currency -> Text,
        sla_days -> Integer,
        live_version -> Nullable<Integer>,
        search_text -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    service_versions (service_id, version) {
        service_id -> Text,
        version -> Integer,
        form -> Text,
        state -> Text,
        created_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(services -> organisations (organisation_id));
diesel::joinable!(service_versions -> services (service_id));
diesel::allow_tables_to_appear_in_same_query!(organisations, services, service_versions);
