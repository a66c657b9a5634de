//! The main flow of every other example system, end to end through the generated clients.

use std::time::Duration;
use svcgen_tests::e2e::{ApiKeys, Database, NatsStream, System, raw};

/// `read` until `done` says what it read is complete, or 20 s passed; the last reading.
async fn eventually<T, F: std::future::Future<Output = T>>(
    mut read: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let value = read().await;
        if done(&value) || std::time::Instant::now() > deadline {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn policy() -> grants_auth::runtime::client::Policy {
    grants_auth::runtime::client::Policy {
        timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn permits_approval_records_the_fee() {
    use permits_finance_service::client::Client as Finance;
    use permits_permit_service::client::{Client as Permits, DecideError};
    use permits_permit_service::runtime::client::{Error, Policy};
    use permits_permit_service::types::*;

    // A permit officer's key, and a clerk's that may read but not decide.
    let mut keys = ApiKeys::new();
    let officer = keys.issue(
        "officer",
        "officer-ada",
        &["permits:read", "permits:decide", "fees:read"],
    );
    let clerk = keys.issue("officer", "clerk-bo", &["permits:read", "fees:read"]);
    let system = System::start_with(
        &[
            (
                "FinanceService",
                "permits-finance-service",
                "FINANCE_SERVICE_URL",
            ),
            (
                "PermitService",
                "permits-permit-service",
                "PERMIT_SERVICE_URL",
            ),
        ],
        &keys.env(),
        None,
    );
    // Applicants need no key.
    let public = Permits::new(&system.url("PermitService"), Policy::default()).unwrap();
    let permits = public.clone().with_api_key(&officer).unwrap();
    let finance = Finance::new(&system.url("FinanceService"), Policy::default())
        .unwrap()
        .with_api_key(&officer)
        .unwrap();

    let application = PermitApplication {
        applicant: "Grace".into(),
        email: "grace@example.org".into(),
        kind: PermitKind::Event,
        address: Address {
            street: "1 Main St".into(),
            postcode: "12345".into(),
        },
        starts_on: "2027-05-01".parse().unwrap(),
        ends_on: None,
        description: String::new(),
    };
    let permit = public.apply(&application).await.unwrap();
    assert_eq!(permit.status, PermitStatus::Submitted);
    assert_eq!(permit.fee_cents, 10_000);
    assert_eq!(public.get_permit(&permit.id).await.unwrap(), permit);

    // Deciding takes an officer's key with the scope to decide: without one, 401; a clerk's,
    // 403; neither decided anything.
    let approve = Decision {
        approve: true,
        reason: None,
    };
    let url = format!(
        "{}/permits/{}/decision",
        system.url("PermitService"),
        permit.id
    );
    refused_without_credentials("POST", &url, r#"{"approve":true}"#).await;
    let by_clerk = public
        .clone()
        .with_api_key(&clerk)
        .unwrap()
        .decide(&permit.id, &approve)
        .await
        .unwrap_err();
    assert!(
        matches!(&by_clerk, Error::Problem { problem, .. } if problem.status == 403),
        "{by_clerk:?}"
    );
    assert!(
        finance
            .fees_for_permit(&permit.id)
            .await
            .unwrap()
            .is_empty()
    );

    // The officer's approval records the fee with FinanceService on their behalf.
    let approved = permits.decide(&permit.id, &approve).await.unwrap();
    assert_eq!(approved.status, PermitStatus::Approved);
    let fees = finance.fees_for_permit(&permit.id).await.unwrap();
    assert_eq!(fees.len(), 1);
    assert_eq!(fees[0].amount_cents, 10_000);

    let again = permits
        .decide(
            &permit.id,
            &Decision {
                approve: false,
                reason: None,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(again, Error::Api(DecideError::AlreadyDecided(_))),
        "{again:?}"
    );
    let listed = permits
        .list_permits(&permits_permit_service::api::ListPermitsQuery {
            status: Some(PermitStatus::Approved),
            kind: None,
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn flood_purchase_scores_prices_and_invoices() {
    use flood_billing::client::Client as Billing;
    use flood_policy::client::{Client as Policies, PurchaseError};
    use flood_policy::runtime::client::{Error, Policy};
    use flood_policy::types::*;

    // A broker's key, and a reporting tool's that may read policies only.
    let mut keys = ApiKeys::new();
    let broker = keys.issue(
        "broker",
        "broker-acme",
        &["policies:write", "policies:read", "invoices:read"],
    );
    let reader = keys.issue("broker", "reports", &["policies:read"]);
    let system = System::start_with(
        &[
            ("risk", "flood-risk", "RISK_URL"),
            ("billing", "flood-billing", "BILLING_URL"),
            ("notification", "flood-notification", "NOTIFICATION_URL"),
            ("policy", "flood-policy", "POLICY_URL"),
            ("gateway", "flood-gateway", "GATEWAY_URL"),
        ],
        &keys.env(),
        None,
    );
    // Everything goes through the gateway: the typed clients work under its `/api` prefix.
    let public = format!("{}/api", system.url("gateway"));
    let anyone = Policies::new(&public, Policy::default()).unwrap();
    let policies = anyone.clone().with_api_key(&broker).unwrap();
    let billing = Billing::new(&public, Policy::default())
        .unwrap()
        .with_api_key(&broker)
        .unwrap();
    let property = |postcode: &str, has_basement| Property {
        location: Location {
            latitude: 51.5,
            longitude: -0.1,
            postcode: postcode.into(),
        },
        floor_area_m2: 120.0,
        has_basement,
        year_built: 1990,
    };
    let request = QuoteRequest {
        customer_email: "sam@example.org".into(),
        property: property("AB1 2CD", false),
        cover_cents: 30_000_000,
    };
    // A risk assessment is open to anyone; selling a policy takes a broker's key.
    let risk = flood_risk::client::Client::new(&public, Policy::default()).unwrap();
    let assessed = risk.assess(&request.property).await.unwrap();
    assert_eq!(assessed.band, RiskBand::Low);
    let body = serde_json::to_string(&request).unwrap();
    refused_without_credentials("POST", &format!("{public}/policies"), &body).await;
    let policy = policies.purchase(&request).await.unwrap();
    assert_eq!(policy.status, PolicyStatus::Active);
    assert_eq!(policy.risk.band, RiskBand::Low);
    assert!(policy.premium_cents > 0);
    let invoice = billing.get_invoice(&policy.invoice_id).await.unwrap();
    assert_eq!(invoice.policy_id, policy.id);
    assert_eq!(invoice.amount_cents, policy.premium_cents);

    // In the flood plain with a basement and an old house: too risky.
    let risky = QuoteRequest {
        property: Property {
            year_built: 1800,
            location: Location {
                latitude: 1.0,
                ..property("FL1", true).location
            },
            ..property("FL1", true)
        },
        ..request.clone()
    };
    let err = policies.purchase(&risky).await.unwrap_err();
    assert!(
        matches!(err, Error::Api(PurchaseError::Uninsurable(_))),
        "{err:?}"
    );

    // A key that may read policies cannot cancel one.
    let reporting = anyone.clone().with_api_key(&reader).unwrap();
    assert_eq!(reporting.get_policy(&policy.id).await.unwrap(), policy);
    let refused = reporting.cancel_policy(&policy.id).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Problem { problem, .. } if problem.status == 403),
        "{refused:?}"
    );
    let cancelled = policies.cancel_policy(&policy.id).await.unwrap();
    assert_eq!(cancelled.status, PolicyStatus::Cancelled);

    // Internal endpoints are not public, unknown paths are 404 problems, and the public
    // surface has its own OpenAPI document.
    let gateway = system.url("gateway");
    let (status, headers, _) = raw(
        "POST",
        &format!("{gateway}/api/invoices"),
        Some("application/json"),
        "{}",
    )
    .await;
    assert_eq!(
        status, 404,
        "create_invoice is internal; only GET /api/invoices/{{id}} is public"
    );
    assert_eq!(headers["content-type"], "application/problem+json");
    let (status, _, problem) = raw("GET", &format!("{gateway}/nowhere"), None, "").await;
    assert_eq!((status, problem["status"].as_u64()), (404, Some(404)));
    let (status, _, doc) = raw("GET", &format!("{gateway}/openapi.json"), None, "").await;
    assert_eq!(status, 200);
    assert!(doc["paths"]["/api/policies"]["post"].is_object(), "{doc}");
    assert!(doc["paths"].get("/api/messages").is_none());
    assert_eq!(
        policies.get_policy(&policy.id).await.unwrap().status,
        PolicyStatus::Cancelled
    );
}

/// A 401 problem with a `WWW-Authenticate` challenge, read with plain HTTP.
async fn refused_without_credentials(method: &str, url: &str, body: &str) {
    let (status, headers, problem) = raw(method, url, Some("application/json"), body).await;
    assert_eq!(status, 401, "{method} {url}: {problem}");
    assert!(headers.contains_key("www-authenticate"), "{url}");
    assert_eq!(problem["status"], 401);
}

/// What must outlive a grants system started by [`start_grants`]: its secrets and its stream.
type GrantsKept = (tempfile::TempDir, ApiKeys, NatsStream);

/// Starts the grants system on SQLite and the machine's NATS, with `extra` variables: the
/// system, the staff API key its deployment issued, and what must outlive it.
fn start_grants(extra: &[(&str, &str)]) -> (System, String, GrantsKept) {
    // The issuer's signing key and a staff API key, as a deployment's secrets would hold them.
    let secrets = tempfile::tempdir().unwrap();
    let signing_key = secrets.path().join("signing-key.pem");
    std::fs::write(
        &signing_key,
        svcgen_runtime::issuer::new_signing_key().unwrap(),
    )
    .unwrap();
    let mut keys = ApiKeys::new();
    let staff_key = keys.issue("staff", "reporting", &["reports:read", "events:write"]);
    let signing_key = signing_key.display().to_string();
    // Events on the machine's NATS: `auth` publishes to `analytics`.
    let nats = NatsStream::new();
    let mut env: Vec<(&str, &str)> = nats.env().to_vec();
    env.push(("AUTH_SIGNING_KEY_FILE", &signing_key));
    env.extend(keys.env());
    env.extend_from_slice(extra);
    let system = System::start_on(
        Database::Sqlite,
        &[
            ("auth", "grants-auth", "AUTH_URL"),
            ("messaging", "grants-messaging", "MESSAGING_URL"),
            ("payment", "grants-payment", "PAYMENT_URL"),
            ("analytics", "grants-analytics", "ANALYTICS_URL"),
            ("gateway", "grants-gateway", "GATEWAY_URL"),
        ],
        &env,
        None,
    );
    (system, staff_key, (secrets, keys, nats))
}

/// The portal's web front end, in a real browser on a page of its own origin: it signs in
/// through the gateway and reads a guarded route with its token (each a cross-origin call the
/// browser first asks the gateway about), and reads the request id and the challenge of a
/// refusal. A page of an origin the gateway does not allow gets nothing. `CORS_ORIGINS`
/// replaces the spec's origin, which is then refused too.
#[tokio::test(flavor = "multi_thread")]
async fn grants_portal_calls_the_gateway_from_a_browser() {
    use grants_auth::types::Registration;
    let port = svcgen_tests::e2e::serve_blank_page();
    let allowed = format!("http://127.0.0.1:{port}");
    // The same page under another name: another origin.
    let denied = format!("http://localhost:{port}");
    let (system, _, _kept) = start_grants(&[("CORS_ORIGINS", &allowed)]);
    let api = format!("{}/api", system.url("gateway"));
    let auth = grants_auth::client::Client::new(&api, policy()).unwrap();
    let registration = Registration {
        email: "ada@example.org".into(),
        password: "correct horse".into(),
        full_name: "Ada".into(),
    };
    auth.register(&registration).await.unwrap();

    // What a browser asks before the sign-in (a JSON body) and the inbox (a token).
    let preflight = |origin: &str, method: &str, headers: &str| {
        let (url, origin) = (format!("{api}/sessions"), origin.to_owned());
        let (method, headers) = (method.to_owned(), headers.to_owned());
        async move {
            reqwest::Client::new()
                .request(reqwest::Method::OPTIONS, url)
                .header("origin", origin)
                .header("access-control-request-method", method)
                .header("access-control-request-headers", headers)
                .send()
                .await
                .unwrap()
        }
    };
    let answer = preflight(&allowed, "POST", "content-type,authorization").await;
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(answer.status().is_success(), "{}", answer.status());
    assert_eq!(header("access-control-allow-origin"), allowed);
    assert!(header("access-control-allow-methods").contains("POST"));
    let allowed_headers = header("access-control-allow-headers");
    for h in ["authorization", "content-type", "x-request-id", "x-api-key"] {
        assert!(allowed_headers.contains(h), "{h} in {allowed_headers}");
    }
    assert_eq!(header("access-control-max-age"), "600");
    assert!(header("vary").contains("origin"), "{}", header("vary"));
    for other in [denied.as_str(), "http://localhost:5173"] {
        let answer = preflight(other, "POST", "content-type").await;
        assert!(
            answer
                .headers()
                .get("access-control-allow-origin")
                .is_none(),
            "{other} is allowed"
        );
    }

    let seen = svcgen_tests::e2e::run_in_browser(
        "cors.mjs",
        &serde_json::json!({
            "pages": { "allowed": format!("{allowed}/portal"), "denied": format!("{denied}/portal") },
            "api": api,
            "email": registration.email,
            "password": registration.password,
            "inbox": "/applicants/{applicant_id}/messages",
        }),
    );
    let page = &seen["allowed"];
    assert_eq!(page["login"]["status"], 200, "{seen}");
    assert!(page["login"]["request_id"].is_string(), "{seen}");
    assert_eq!(page["inbox"]["status"], 200, "{seen}");
    assert_eq!(page["inbox"]["count"], 0, "{seen}");
    assert_eq!(page["no_token"]["status"], 401, "{seen}");
    assert!(
        page["no_token"]["challenge"]
            .as_str()
            .is_some_and(|c| c.starts_with("Bearer")),
        "{seen}"
    );
    let error = seen["denied"]["login"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("Failed to fetch"), "{seen}");
    assert!(seen["denied"].get("inbox").is_none(), "{seen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn grants_sign_in_pay_and_notify() {
    use grants_auth::client::{Client as Auth, LoginError, RefreshError};
    use grants_auth::runtime::client::Error;
    use grants_auth::types::*;
    use grants_messaging::client::{Client as Messaging, InboxError};
    use grants_payment::client::{Client as Payments, PayFeeError};

    let (system, staff_key, _kept) = start_grants(&[]);
    let public = format!("{}/api", system.url("gateway"));
    let auth = Auth::new(&public, policy()).unwrap();

    // Register, then sign in: a wrong password is refused, the right one opens a session.
    let registration = Registration {
        email: "lin@example.org".into(),
        password: "correct horse".into(),
        full_name: "Lin".into(),
    };
    let registered = auth.register(&registration).await.unwrap();
    let bad_login = auth
        .login(&Credentials {
            email: registration.email.clone(),
            password: "wrong password".into(),
        })
        .await;
    assert!(
        matches!(bad_login, Err(Error::Api(LoginError::Unauthorized(_)))),
        "{bad_login:?}"
    );
    let session = auth
        .login(&Credentials {
            email: registration.email.clone(),
            password: registration.password.clone(),
        })
        .await
        .unwrap();
    assert_eq!(session.applicant_id, registered.applicant_id);
    assert_eq!(session.access_token.split('.').count(), 3, "a signed JWT");
    let me = session.applicant_id.clone();
    // The password is kept as an argon2id hash, never as itself.
    // (The database file and its write-ahead log, where the latest writes are.)
    let mut database = std::fs::read(system.data_dir().join("grants-auth.db")).unwrap();
    database
        .extend(std::fs::read(system.data_dir().join("grants-auth.db-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&database);
    assert!(!text.contains("correct horse"), "the password is stored");
    assert!(text.contains("$argon2id$"), "no argon2id hash is stored");
    // The keys every service checks tokens with.
    let (status, _, keys) = raw(
        "GET",
        &format!("{}/.well-known/jwks.json", system.url("auth")),
        None,
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(keys["keys"][0]["alg"], "EdDSA", "{keys}");

    // Pay through the gateway on the applicant's behalf; `payment` tells them through
    // `messaging` with their token (forwarded), and their inbox shows it.
    let payments = Payments::new(&public, policy())
        .unwrap()
        .with_bearer_token(&session.access_token)
        .unwrap();
    let messaging = Messaging::new(&public, policy())
        .unwrap()
        .with_bearer_token(&session.access_token)
        .unwrap();
    let payment = FeePayment {
        applicant_id: me.clone(),
        application_ref: "GR-2027-001".into(),
        amount: Money {
            amount: 2500,
            currency: "USD".into(),
        },
        method: PaymentMethod::Card(Card {
            card_token: "tok_visa_4242".into(),
            holder: "Lin".into(),
        }),
    };
    let receipt = payments.pay_fee(&payment).await.unwrap();
    assert_eq!(receipt.status, PaymentStatus::Captured);
    let inbox = messaging
        .inbox(
            &me,
            &grants_messaging::api::InboxQuery {
                kind: Some(MessageKind::PaymentReceived),
            },
        )
        .await
        .unwrap();
    assert_eq!(inbox.len(), 1, "the forwarded token reached messaging");
    assert!(inbox[0].text.contains("GR-2027-001"));

    let declined = FeePayment {
        method: PaymentMethod::Card(Card {
            card_token: "tok_decline_0001".into(),
            holder: "Lin".into(),
        }),
        ..payment.clone()
    };
    let err = payments.pay_fee(&declined).await.unwrap_err();
    assert!(
        matches!(err, Error::Api(PayFeeError::PaymentDeclined(_))),
        "{err:?}"
    );
    // Acting for another applicant is forbidden, their inbox too.
    let for_another = FeePayment {
        applicant_id: ApplicantId("APP-999999".into()),
        ..payment.clone()
    };
    let err = payments.pay_fee(&for_another).await.unwrap_err();
    assert!(
        matches!(err, Error::Api(PayFeeError::Forbidden(_))),
        "{err:?}"
    );
    let query = grants_messaging::api::InboxQuery { kind: None };
    let err = messaging
        .inbox(&ApplicantId("APP-999999".into()), &query)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Api(InboxError::Forbidden(_))),
        "{err:?}"
    );
    // No token, or a forged one: 401 before any handler, through the gateway and directly.
    let body = serde_json::to_string(&payment).unwrap();
    refused_without_credentials("POST", &format!("{public}/payments"), &body).await;
    // The gateway refused it itself, before forwarding.
    assert!(
        system.services["gateway"]
            .log()
            .contains("refused: no credentials"),
        "the gateway forwarded a request without credentials"
    );
    refused_without_credentials(
        "POST",
        &format!("{}/payments", system.url("payment")),
        &body,
    )
    .await;
    let forged = Payments::new(&public, policy())
        .unwrap()
        .with_bearer_token("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJtZSJ9.c2ln")
        .unwrap();
    match forged.pay_fee(&payment).await {
        Err(Error::Problem { problem, .. }) => assert_eq!(problem.status, 401),
        other => panic!("a forged token was not refused: {other:?}"),
    }

    // A refresh token is traded once for a new session; signing out revokes the rest.
    let renewed = auth
        .refresh(&Refresh {
            refresh_token: session.refresh_token.clone(),
        })
        .await
        .unwrap();
    assert_eq!(renewed.applicant_id, me);
    let again = auth
        .refresh(&Refresh {
            refresh_token: session.refresh_token.clone(),
        })
        .await;
    assert!(
        matches!(again, Err(Error::Api(RefreshError::Unauthorized(_)))),
        "a refresh token works twice: {again:?}"
    );
    let signed_in = Auth::new(&public, policy())
        .unwrap()
        .with_bearer_token(&renewed.access_token)
        .unwrap();
    signed_in.logout().await.unwrap();
    let after_logout = auth
        .refresh(&Refresh {
            refresh_token: renewed.refresh_token.clone(),
        })
        .await;
    assert!(
        matches!(after_logout, Err(Error::Api(RefreshError::Unauthorized(_)))),
        "signing out left a refresh token: {after_logout:?}"
    );

    // Five wrong passwords lock the account: even the right one is then refused.
    for _ in 0..5 {
        let _ = auth
            .login(&Credentials {
                email: registration.email.clone(),
                password: "not the password".into(),
            })
            .await;
    }
    let locked = auth
        .login(&Credentials {
            email: registration.email.clone(),
            password: registration.password.clone(),
        })
        .await;
    assert!(
        matches!(locked, Err(Error::Api(LoginError::TooManyAttempts(_)))),
        "{locked:?}"
    );

    // Analytics reports to staff tools (an API key) only.
    let analytics = grants_analytics::client::Client::new(&system.url("analytics"), policy())
        .unwrap()
        .with_api_key(&staff_key)
        .unwrap();
    let through_gateway = grants_analytics::client::Client::new(&public, policy()).unwrap();
    let staff_through_gateway = through_gateway.clone().with_api_key(&staff_key).unwrap();
    let event = Event {
        name: "fee.paid".into(),
        applicant_id: Some(me.clone()),
        at: grants_auth::types::chrono::Utc::now(),
        properties: Default::default(),
    };
    analytics.record_event(&event).await.unwrap();
    // What auth and payment published (one registration, one payment) is counted with what
    // was posted.
    let query = grants_analytics::api::ReportQuery { days: 7 };
    let report = eventually(
        || staff_through_gateway.report(&query),
        |r| r.as_ref().is_ok_and(|r| r.root.metrics[0].value >= 3.0),
    )
    .await
    .unwrap();
    assert_eq!(report.root.metrics[0].value, 3.0, "{report:?}");
    let by_name: Vec<(String, f64)> = report.root.sections[0]
        .metrics
        .iter()
        .map(|m| (m.name.clone(), m.value))
        .collect();
    assert_eq!(
        by_name,
        vec![
            ("applicant_registered".to_owned(), 1.0),
            ("fee_paid".to_owned(), 1.0),
            ("payment_made".to_owned(), 1.0),
        ]
    );
    // The internal event routes take the system's events key: without it no one reads (or
    // replays) the dead letters.
    let dead_letters = format!("{}/_svcgen/dead-letters", system.url("analytics"));
    let (status, _, problem) = raw("GET", &dead_letters, None, "").await;
    assert_eq!(status, 401, "{problem}");
    let with_key = reqwest::Client::new()
        .get(&dead_letters)
        .header("svcgen-events-key", system.events_key())
        .send()
        .await
        .unwrap();
    assert_eq!(with_key.status(), 200);
    // The payment event recorded who caused it (the applicant whose token paid), and
    // analytics learnt it from the event.
    let caused_by = format!("caused_by=app_user:{me}");
    assert!(
        system.services["analytics"].log().contains(&caused_by),
        "analytics did not learn who paid ({caused_by})"
    );
    assert!(
        through_gateway.report(&query).await.is_err(),
        "a report without a key"
    );
    // Recording events is internal: not reachable through the gateway.
    assert!(staff_through_gateway.record_event(&event).await.is_err());

    // No token, refresh token, password or key reached a log.
    for name in ["auth", "payment", "messaging", "analytics", "gateway"] {
        let log = system.services[name].log();
        for secret in [
            session.access_token.as_str(),
            session.refresh_token.as_str(),
            renewed.access_token.as_str(),
            "correct horse",
            staff_key.as_str(),
        ] {
            assert!(!log.contains(secret), "a secret is in the log of {name}");
        }
    }
}

/// Starts the small-business system, its services reading the staff keys of `keys`.
fn start_small_business(keys: &ApiKeys) -> System {
    System::start_with(
        &[
            ("user", "small-business-user", "USER_URL"),
            ("finance", "small-business-finance", "FINANCE_URL"),
            ("grant", "small-business-grant", "GRANT_URL"),
            ("gateway", "small-business-gateway", "GATEWAY_URL"),
        ],
        &keys.env(),
        None,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn small_business_grant_is_reviewed_and_disbursed() {
    use small_business_finance::client::Client as Finance;
    use small_business_grant::client::{ApplyError, Client as Grants, DisburseError};
    use small_business_grant::runtime::client::{Error, Policy};
    use small_business_grant::types::*;
    use small_business_user::client::Client as Users;

    // A programme officer's key, and a reviewer's that may not pay out.
    let mut keys = ApiKeys::new();
    let officer = keys.issue(
        "staff",
        "officer-kim",
        &["grants:review", "grants:disburse", "finance:read"],
    );
    let reviewer = keys.issue("staff", "reviewer-lee", &["grants:review"]);
    let system = start_small_business(&keys);
    let public = format!("{}/api", system.url("gateway"));
    let users = Users::new(&public, Policy::default()).unwrap();
    // Businesses need no key for applying and following their grants.
    let grants = Grants::new(&public, Policy::default()).unwrap();
    let staff = grants.clone().with_api_key(&officer).unwrap();
    let finance = Finance::new(&system.url("finance"), Policy::default())
        .unwrap()
        .with_api_key(&officer)
        .unwrap();

    let business = users
        .register_business(&NewBusiness {
            legal_name: "Bakery Ltd".into(),
            tax_id: "12-3456789".into(),
            size: BusinessSize::Micro,
            contact_email: "owner@bakery.example".into(),
            website: Some("https://bakery.example".into()),
        })
        .await
        .unwrap();
    let application = GrantApplication {
        business_id: business.id,
        program: "Green ovens".into(),
        amount_cents: 2_000_000,
        purpose: "Replace two gas ovens with heat pumps.".into(),
        employees: 4,
    };
    let grant = grants.apply(&application).await.unwrap();
    let view = grants.status(&grant.id).await.unwrap();
    assert_eq!(view.business.legal_name, "Bakery Ltd");
    assert_eq!(view.grant.status, GrantStatus::Submitted);

    // The events: finance learned of the application (`grant.submitted`), the business's
    // account of the reading (`grant.viewed`).
    let pipeline = eventually(
        || finance.list_pipeline(&business.id),
        |p| p.as_ref().is_ok_and(|p| !p.is_empty()),
    )
    .await
    .unwrap();
    assert_eq!(pipeline.len(), 1, "{pipeline:?}");
    assert_eq!(
        (pipeline[0].grant_id, pipeline[0].amount_cents),
        (grant.id, 2_000_000)
    );
    let views = eventually(
        || users.list_grant_views(&business.id),
        |v| v.as_ref().is_ok_and(|v| !v.is_empty()),
    )
    .await
    .unwrap();
    assert_eq!(views.len(), 1, "{views:?}");
    assert_eq!(
        (views[0].grant_id, views[0].status),
        (grant.id, GrantStatus::Submitted)
    );

    let unknown = GrantApplication {
        business_id: small_business_grant::types::uuid::Uuid::new_v4(),
        ..application.clone()
    };
    assert!(matches!(
        grants.apply(&unknown).await,
        Err(Error::Api(ApplyError::BusinessNotFound(_)))
    ));

    let early = staff.disburse(&grant.id).await.unwrap_err();
    assert!(
        matches!(early, Error::Api(DisburseError::NotApproved(_))),
        "{early:?}"
    );
    let review = Review {
        approve: true,
        note: "Strong plan".into(),
    };
    // Reviewing takes a staff key: none is 401 (from the gateway), a business cannot approve
    // its own grant.
    let body = serde_json::to_string(&review).unwrap();
    let url = format!("{public}/grants/{}/review", grant.id);
    let (status, _, problem) = raw("PUT", &url, Some("application/json"), &body).await;
    assert_eq!(status, 401, "{problem}");
    let reviewing = grants.clone().with_api_key(&reviewer).unwrap();
    reviewing.review(&grant.id, &review).await.unwrap();
    // A reviewer cannot pay out: 403, and finance paid nothing.
    let refused = reviewing.disburse(&grant.id).await.unwrap_err();
    assert!(
        matches!(&refused, Error::Problem { problem, .. } if problem.status == 403),
        "{refused:?}"
    );
    assert!(
        finance
            .list_disbursements(&business.id)
            .await
            .unwrap()
            .is_empty()
    );
    let paid = staff.disburse(&grant.id).await.unwrap();
    assert_eq!(paid.amount_cents, 2_000_000);
    assert_eq!(
        finance
            .list_disbursements(&business.id)
            .await
            .unwrap()
            .len(),
        1
    );
    let twice = staff.disburse(&grant.id).await.unwrap_err();
    assert!(
        matches!(twice, Error::Api(DisburseError::AlreadyDisbursed(_))),
        "{twice:?}"
    );
    assert_eq!(
        grants.status(&grant.id).await.unwrap().grant.status,
        GrantStatus::Disbursed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_answers_for_a_service_that_is_down() {
    let mut keys = ApiKeys::new();
    keys.issue("staff", "nobody", &[]);
    let mut system = start_small_business(&keys);
    let url = format!(
        "{}/api/businesses/7f0c2f4e-8a57-4a5e-9a7b-0a1d5e0f8f11",
        system.url("gateway")
    );
    let id = "gateway-test-1";
    let response = reqwest::Client::new()
        .get(&url)
        .header("x-request-id", id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        404,
        "forwarded, and the service's typed 404 comes back"
    );
    assert_eq!(response.headers()["x-request-id"], id);
    let user = &system.services["user"];
    let log = std::fs::read_to_string(
        svcgen_tests::e2e::target_dir().join(format!("e2e-logs/{}-{}.log", user.binary, user.port)),
    )
    .unwrap();
    assert!(log.contains(id), "the request id reached the service");

    system.service("user").stop();
    let (status, headers, problem) = raw("GET", &url, None, "").await;
    assert_eq!(status, 503, "{problem}");
    assert_eq!(headers["content-type"], "application/problem+json");
    assert!(
        problem["detail"].as_str().unwrap().contains("user"),
        "{problem}"
    );
    assert!(
        !problem.to_string().contains("127.0.0.1"),
        "no internal address leaks"
    );
}
