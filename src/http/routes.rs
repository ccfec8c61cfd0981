//! The documented routes: which operation a method and path are, and which methods a path allows.

/// Path templates with their methods and operation ids, taken from the OpenAPI document so the router,
/// the 405 answers and the audit table cannot disagree.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

/// One path template and its (method, operation id) pairs.
#[derive(Debug)]
struct Route {
    segments: Vec<Segment>,
    methods: Vec<(String, String)>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Param(String),
}

/// The operation a request is for, with its path parameters by name.
#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub params: Vec<(String, String)>,
}

impl Operation {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl RouteTable {
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut routes = Vec::new();
        for (path, item) in doc.paths.paths.iter() {
            let segments = path
                .split('/')
                .map(|s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => Segment::Param(name.to_owned()),
                    None => Segment::Literal(s.to_owned()),
                })
                .collect();
            let ops = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
            ];
            let methods = ops
                .into_iter()
                .filter_map(|(m, op)| {
                    let op = op.as_ref()?;
                    Some((m.to_owned(), op.operation_id.clone().unwrap_or_default()))
                })
                .collect();
            routes.push(Route { segments, methods });
        }
        Self { routes }
    }

    fn matching<'a>(
        &'a self,
        path: &'a str,
    ) -> impl Iterator<Item = (&'a [Segment], &'a [(String, String)], Vec<&'a str>)> + 'a {
        let parts: Vec<&str> = path.split('/').collect();
        self.routes.iter().filter_map(move |Route { segments, methods }| {
            let matches = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Param(_) => !p.is_empty(),
                });
            matches.then(|| (segments.as_slice(), methods.as_slice(), parts.clone()))
        })
    }

    /// The methods allowed on `path`, comma-separated, if any route template matches it.
    pub fn allowed_methods(&self, path: &str) -> Option<String> {
        let mut allowed: Vec<&str> = Vec::new();
        for (_, methods, _) in self.matching(path) {
            allowed.extend(methods.iter().map(|(m, _)| m.as_str()));
        }
        if allowed.is_empty() {
            return None;
        }
        allowed.dedup();
        Some(allowed.join(", "))
    }

    /// The documented operation for a method and path. A literal segment wins over a parameter, as in
    /// the router.
    pub fn operation(&self, method: &str, path: &str) -> Option<Operation> {
        let literal_count =
            |segments: &[Segment]| segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count();
        let (segments, methods, parts) = self
            .matching(path)
            .filter(|(_, methods, _)| methods.iter().any(|(m, _)| m == method))
            .max_by_key(|(segments, _, _)| literal_count(segments))?;
        let id = methods.iter().find(|(m, _)| m == method)?.1.clone();
        let params = segments
            .iter()
            .zip(parts)
            .filter_map(|(s, p)| match s {
                Segment::Param(name) => Some((name.clone(), percent_decode(p))),
                Segment::Literal(_) => None,
            })
            .collect();
        Some(Operation { id, params })
    }
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}
