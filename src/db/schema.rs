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
        permit -> Nullable<Text>,
    }
}

diesel::joinable!(services -> organisations (organisation_id));
diesel::joinable!(service_versions -> services (service_id));

diesel::table! {
    accounts (id) {
        id -> Text,
        role -> Text,
        organisation_id -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        password_hash -> Text,
        full_name -> Text,
        preferred_language -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        email_verified -> Bool,
        phone_verified -> Bool,
    }
}

diesel::table! {
    contact_verifications (id) {
        id -> Text,
        account_id -> Text,
        channel -> Text,
        value -> Text,
        code_hash -> Text,
        attempts -> Integer,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        account_id -> Text,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        revoked_reason -> Nullable<Text>,
        user_agent -> Text,
        ip -> Text,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        created_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_clients (id) {
        id -> Text,
        client_id -> Text,
        organisation_id -> Text,
        name -> Text,
        secret_hash -> Text,
        scopes -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    identity_documents (id) {
        id -> Text,
        account_id -> Text,
        kind -> Text,
        number -> Text,
        expires_on -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> Integer,
        window_started_at -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        actor_type -> Text,
        actor_id -> Nullable<Text>,
        organisation_id -> Nullable<Text>,
        action -> Text,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Text>,
        subject_account_id -> Nullable<Text>,
        result -> Integer,
        reason -> Nullable<Text>,
        request_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (owner, operation, key) {
        owner -> Text,
        operation -> Text,
        key -> Text,
        fingerprint -> Text,
        status -> Integer,
        headers -> Text,
        body -> Text,
        created_at -> Timestamp,
        key_id -> Nullable<Text>,
        subject_id -> Nullable<Text>,
    }
}

diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(identity_documents -> accounts (account_id));
diesel::joinable!(api_clients -> organisations (organisation_id));

diesel::table! {
    applications (id) {
        id -> Text,
        reference -> Text,
        service_id -> Text,
        service_version -> Integer,
        organisation_id -> Text,
        resident_id -> Text,
        status -> Text,
        form_data -> Text,
        assignee_id -> Nullable<Text>,
        due_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
        submitted_at -> Nullable<Timestamp>,
        needs_info_since -> Nullable<Timestamp>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    application_events (id) {
        id -> Text,
        application_id -> Text,
        actor_type -> Text,
        actor_id -> Nullable<Text>,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        comment -> Nullable<Text>,
        visible_to_resident -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        account_id -> Text,
        application_id -> Nullable<Text>,
        event_id -> Nullable<Text>,
        kind -> Text,
        title -> Text,
        body -> Text,
        is_read -> Bool,
        read_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        application_id -> Text,
        kind -> Text,
        original_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        storage_key -> Text,
        uploaded_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox_events (id) {
        id -> Text,
        organisation_id -> Text,
        application_id -> Text,
        event_type -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reference_counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::joinable!(applications -> services (service_id));
diesel::joinable!(application_events -> applications (application_id));
diesel::joinable!(documents -> applications (application_id));

diesel::table! {
    password_resets (id) {
        id -> Text,
        account_id -> Text,
        code_hash -> Text,
        attempts -> Integer,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        organisation_id -> Text,
        client_id -> Text,
        url -> Text,
        event_types -> Text,
        secret -> Text,
        status -> Text,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        secret_key_id -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_jobs (id) {
        id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        event_type -> Text,
        application_id -> Text,
        payload -> Text,
        attempts -> Integer,
        status -> Text,
        next_attempt_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Text,
        job_id -> Text,
        endpoint_id -> Text,
        event_id -> Text,
        event_type -> Text,
        attempt -> Integer,
        status -> Text,
        response_status -> Nullable<Integer>,
        error -> Nullable<Text>,
        attempted_at -> Timestamp,
        next_attempt_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    message_outbox (id) {
        id -> Text,
        account_id -> Nullable<Text>,
        event_id -> Text,
        kind -> Text,
        channel -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        data -> Text,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        leased_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    devices (id) {
        id -> Text,
        account_id -> Text,
        session_id -> Nullable<Text>,
        platform -> Text,
        push_token -> Text,
        app_version -> Text,
        locale -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notification_preferences (account_id) {
        account_id -> Text,
        settings -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    permit_keys (kid) {
        kid -> Text,
        public_key -> Text,
        signs_from -> Timestamp,
        signs_until -> Timestamp,
        withdrawn_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    permits (id) {
        id -> Text,
        application_id -> Text,
        resident_id -> Text,
        organisation_id -> Text,
        service_id -> Text,
        permit_type -> Text,
        number -> Text,
        status -> Text,
        valid_from -> Timestamp,
        valid_until -> Timestamp,
        status_list -> Integer,
        status_index -> Integer,
        revoked_at -> Nullable<Timestamp>,
        revoke_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    permit_credentials (permit_id) {
        permit_id -> Text,
        kid -> Text,
        token_id -> Text,
        qr -> Text,
        signed_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(permit_credentials -> permits (permit_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    api_clients,
    application_events,
    audit_events,
    applications,
    documents,
    identity_documents,
    organisations,
    permit_credentials,
    permit_keys,
    permits,
    refresh_tokens,
    service_versions,
    services,
    sessions,
    webhook_endpoints,
    webhook_jobs,
    message_outbox,
    devices,
);
