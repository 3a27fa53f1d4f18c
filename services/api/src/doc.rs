//! The error answers of the OpenAPI document, written once for every route
//! rather than by hand on each: which statuses a route can answer follows
//! from what it takes (parameters, a path id, `wait_for`) and who may call it.

use utoipa::{
    openapi::{
        path::{Operation, Parameter},
        schema::{Schema, SchemaType, Type},
        ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
    },
    PartialSchema, ToSchema,
};

/// `{"error": {"code", "message", "field"}}`: every error of every route.
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)] // a schema only: ledger_http::ApiError writes the body
struct ErrorBody {
    #[schema(inline)]
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// Stable and machine-readable, e.g. `invalid_parameter`, `not_found`.
    code: String,
    /// For people.
    message: String,
    /// The parameter at fault, when there is one.
    field: Option<String>,
}

/// What a route can answer besides its success, and when.
struct Answer {
    status: &'static str,
    description: &'static str,
    /// With the error body (a timeout has none).
    body: bool,
    applies: fn(&Route) -> bool,
}

struct Route<'a> {
    path: &'a str,
    operation: &'a Operation,
}

impl Route<'_> {
    fn takes(&self, name: &str) -> bool {
        self.operation
            .parameters
            .iter()
            .flatten()
            .any(|p| p.name == name)
    }
    fn has_parameters(&self) -> bool {
        self.operation.parameters.iter().flatten().next().is_some()
    }
    /// `/v1/me` answers any known caller and reads nothing.
    fn reads(&self) -> bool {
        self.path != "/v1/me"
    }
}

const ANSWERS: &[Answer] = &[
    Answer {
        status: "400",
        description: "invalid_parameter: a parameter that does not parse or is out of range (named in `field`)",
        body: true,
        applies: |r| r.has_parameters(),
    },
    Answer {
        status: "401",
        description: "unauthenticated: no bearer token, or an unknown one",
        body: true,
        applies: |_| true,
    },
    Answer {
        status: "403",
        description: "forbidden: the caller lacks the role the route needs",
        body: true,
        applies: |r| r.reads(),
    },
    Answer {
        status: "404",
        description: "not_found: no such id, or a `wait_for` position the view's partitions do not hold",
        body: true,
        applies: |r| r.path.contains('{') || r.takes("wait_for"),
    },
    Answer {
        status: "429",
        description: "too_many_requests: more requests of this caller in flight than it may have \
                      (`LEDGER_API_MAX_IN_FLIGHT_PER_CALLER`); retry after `Retry-After` seconds",
        body: true,
        applies: |_| true,
    },
    Answer {
        status: "408",
        description: "request_timeout: the request took longer than 40 s",
        body: false,
        applies: |_| true,
    },
    Answer {
        status: "503",
        description: "read_model_unavailable: the database cannot be queried; projection_lagging: \
                      the view has not reached a `wait_for` position within `wait_ms`",
        body: true,
        applies: |r| r.reads(),
    },
];

/// Adds the error schema and, to every operation, the error answers that
/// apply to it (replacing any written by hand).
pub fn document_errors(doc: &mut OpenApi) {
    doc.components
        .get_or_insert_with(Default::default)
        .schemas
        .insert("Error".into(), <ErrorBody as PartialSchema>::schema());
    for (path, item) in doc.paths.paths.iter_mut() {
        let Some(operation) = item.get.as_mut() else {
            continue;
        };
        operation
            .parameters
            .iter_mut()
            .flatten()
            .for_each(no_nul_in_free_text);
        let wanted: Vec<&Answer> = ANSWERS
            .iter()
            .filter(|a| (a.applies)(&Route { path, operation }))
            .collect();
        let responses = &mut operation.responses.responses;
        responses.retain(|status, _| !status.starts_with('4') && !status.starts_with('5'));
        for answer in wanted {
            let mut response = ResponseBuilder::new().description(answer.description);
            if answer.body {
                response = response.content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Error")))
                        .build(),
                );
            }
            responses.insert(answer.status.into(), RefOr::T(response.build()));
        }
    }
}

/// A free-text parameter (an id, a code) takes any text but a NUL, which
/// every route refuses with 400 (`routes::refuse_nul`): the schema says so,
/// so that a NUL is a known-invalid value, never a valid one refused.
fn no_nul_in_free_text(parameter: &mut Parameter) {
    let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut() else {
        return;
    };
    let text = match &schema.schema_type {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(types) => types.contains(&Type::String),
        SchemaType::AnyValue => false,
    };
    if text && schema.pattern.is_none() && schema.format.is_none() && schema.enum_values.is_none() {
        schema.pattern = Some(r"^[^\x00]*$".to_owned());
    }
}
