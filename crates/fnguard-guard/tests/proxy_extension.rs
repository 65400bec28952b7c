//! The Extensions API client against the fake API on loopback.

mod proxy_fake;

use std::time::{Duration, Instant};

use fnguard_guard::extension::{Event, EventKind, ExtensionClient, ExtensionError, Registration};
use proxy_fake::FakeApi;
use serde_json::json;

/// A client of the fake API, registered for `events` as `fnguard`.
async fn registered(fake: &FakeApi, events: &[EventKind]) -> ExtensionClient {
    let mut client = ExtensionClient::new(&fake.authority()).unwrap();
    client.register("fnguard", events).await.unwrap();
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_sends_the_documented_request_and_reads_the_answer() {
    let mut fake = FakeApi::start().await;
    let mut client = ExtensionClient::new(&fake.authority()).unwrap();
    let registration = client
        .register("fnguard", &[EventKind::Invoke, EventKind::Shutdown])
        .await
        .unwrap();
    assert_eq!(
        registration,
        Registration {
            id: "ext-8a1f".into(),
            function_name: "orders".into(),
            function_version: "$LATEST".into(),
            handler: "app.handler".into(),
        }
    );
    assert_eq!(client.id(), Some("ext-8a1f"));
    let sent = fake.wait_for("/extension/register").await;
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.headers["lambda-extension-name"], "fnguard");
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body, json!({"events": ["INVOKE", "SHUTDOWN"]}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_event_reads_invoke_and_shutdown_with_the_identifier() {
    let mut fake = FakeApi::start().await;
    let client = registered(&fake, &[EventKind::Invoke, EventKind::Shutdown]).await;
    fake.push_extension_event(json!({
        "eventType": "INVOKE",
        "deadlineMs": 1_796_518_800_000u64,
        "requestId": "3da1f2dc-3222-475e-9205-e2e6c6318895",
        "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:orders",
        "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-5f35ae12"}
    }));
    fake.push_extension_event(json!({
        "eventType": "SHUTDOWN",
        "shutdownReason": "spindown",
        "deadlineMs": 1_796_518_802_000u64
    }));
    assert_eq!(
        client.next_event().await.unwrap(),
        Event::Invoke {
            request_id: "3da1f2dc-3222-475e-9205-e2e6c6318895".into(),
            deadline_ms: 1_796_518_800_000,
            invoked_function_arn: "arn:aws:lambda:us-east-1:123456789012:function:orders".into(),
        }
    );
    assert_eq!(
        client.next_event().await.unwrap(),
        Event::Shutdown {
            reason: "spindown".into(),
            deadline_ms: 1_796_518_802_000,
        }
    );
    let asked = fake.wait_for("/extension/event/next").await;
    assert_eq!(asked.method, "GET");
    assert_eq!(asked.headers["lambda-extension-identifier"], "ext-8a1f");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_and_exit_errors_carry_the_error_type_header() {
    let mut fake = FakeApi::start().await;
    let client = registered(&fake, &[EventKind::Invoke]).await;
    client
        .init_error("Extension.ConfigInvalid", "FNGUARD_MODE=\"block\"")
        .await
        .unwrap();
    client
        .exit_error("Extension.IntegrityFailure", "runtime executable in /tmp")
        .await
        .unwrap();
    for (path, kind, message) in [
        (
            "/extension/init/error",
            "Extension.ConfigInvalid",
            "FNGUARD_MODE=\"block\"",
        ),
        (
            "/extension/exit/error",
            "Extension.IntegrityFailure",
            "runtime executable in /tmp",
        ),
    ] {
        let sent = fake.wait_for(path).await;
        assert_eq!(sent.method, "POST");
        assert_eq!(sent.headers["lambda-extension-identifier"], "ext-8a1f");
        assert_eq!(sent.headers["lambda-extension-function-error-type"], kind);
        let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
        assert_eq!(body["errorType"], kind);
        assert_eq!(body["errorMessage"], message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_before_register_are_refused_without_reaching_the_api() {
    let fake = FakeApi::start().await;
    let client = ExtensionClient::new(&fake.authority()).unwrap();
    let err = client.next_event().await.unwrap_err();
    assert!(
        matches!(err, ExtensionError::NotRegistered { call: "event/next" }),
        "{err}"
    );
    let err = client.exit_error("Extension.X", "y").await.unwrap_err();
    assert!(err.to_string().contains("call register first"), "{err}");
    assert!(fake.recorded().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_event_or_one_without_a_request_id_is_an_error() {
    let fake = FakeApi::start().await;
    let client = registered(&fake, &[EventKind::Invoke]).await;
    fake.push_extension_event(json!({"eventType": "RESTORE", "deadlineMs": 1}));
    let err = client.next_event().await.unwrap_err();
    assert!(
        err.to_string().contains("unknown eventType \"RESTORE\""),
        "{err}"
    );
    fake.push_extension_event(json!({"eventType": "INVOKE", "deadlineMs": 1}));
    let err = client.next_event().await.unwrap_err();
    assert!(err.to_string().contains("without requestId"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_call_names_the_status_and_the_api_text() {
    let fake = FakeApi::start().await;
    let client = registered(&fake, &[EventKind::Invoke]).await;
    fake.fail_extension_calls(
        500,
        r#"{"errorType":"Extension.InvalidStateTransition","errorMessage":"State transition from Ready to Exited failed"}"#,
    );
    let err = client.exit_error("Extension.X", "y").await.unwrap_err();
    match &err {
        ExtensionError::Status { call, status, body } => {
            assert_eq!(*call, "exit/error");
            assert_eq!(status.as_u16(), 500);
            assert!(body.contains("Extension.InvalidStateTransition"), "{body}");
        }
        other => panic!("expected a status error, got {other}"),
    }
    assert!(
        err.to_string()
            .starts_with("exit/error: the Extensions API answered 500"),
        "{err}"
    );
    fake.push_extension_event(json!({"eventType": "INVOKE", "requestId": "r"}));
    assert!(client.next_event().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_that_is_not_the_documented_json_is_an_error() {
    let fake = FakeApi::start().await;
    let client = registered(&fake, &[EventKind::Invoke]).await;
    fake.push_extension_event(json!("not an object"));
    let err = client.next_event().await.unwrap_err();
    assert!(err.to_string().contains("not the documented JSON"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_that_is_down_is_a_clear_error_not_a_hang() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let mut client = ExtensionClient::new(&closed.to_string()).unwrap();
    let started = Instant::now();
    let err = client
        .register("fnguard", &[EventKind::Invoke])
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(err.to_string().contains(&closed.to_string()), "{err}");
    assert!(ExtensionClient::new("no-port").is_err());
    assert!(ExtensionClient::new("host:0").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_error_goes_through_while_next_event_is_waiting() {
    // The fail-closed path: the event loop is blocked in next_event when the
    // proxy reports a fatal check, and exit_error must not queue behind it.
    let mut fake = FakeApi::start().await;
    let client = registered(&fake, &[EventKind::Invoke]).await;
    let client = std::sync::Arc::new(client);
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move { client.next_event().await })
    };
    fake.wait_for("/extension/event/next").await;
    tokio::time::timeout(
        Duration::from_secs(3),
        client.exit_error("Extension.IntegrityFailure", "runtime replaced"),
    )
    .await
    .expect("exit_error waited for next_event")
    .unwrap();
    assert!(!waiting.is_finished());
    fake.wait_for("/extension/exit/error").await;
    waiting.abort();
}
