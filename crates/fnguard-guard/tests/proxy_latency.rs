//! The latency the proxy adds to one invocation (`GET next` + `POST
//! response`), against the fake API on loopback, side by side with the same
//! runtime client talking to the fake directly in the same run. Prints
//! p50/p99 (`cargo test --test proxy_latency -- --nocapture`); asserts only
//! a loose bound that catches a pathological regression (a Nagle/delayed-ACK
//! stall is 40 ms), since the machine is shared and the build unoptimised.
//! The targets (p50 <= 100 us, p99 <= 500 us) are for the release
//! benchmark with the full emulator.

mod proxy_fake;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fnguard_guard::proxy::{InvocationGate, InvokeContext, ProxySettings, RuntimeProxy, Verdict};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use proxy_fake::{full, FakeApi, FakeEvent, RuntimeConn};

const ROUNDS: usize = 500;

/// A gate that looks at the event, as the real ones do, and passes it.
struct Passing;

impl InvocationGate for Passing {
    fn before_invoke(&self, ctx: &InvokeContext<'_>) -> Verdict {
        assert!(!ctx.body.is_empty());
        Verdict::Pass
    }
}

/// Durations of `ROUNDS` invocations through `addr`, sorted.
async fn invocations(fake: &FakeApi, addr: SocketAddr) -> Vec<Duration> {
    let event = Bytes::from(format!("{{\"body\":\"{}\"}}", "x".repeat(1000)));
    let mut runtime = RuntimeConn::connect(addr).await;
    let mut times = Vec::with_capacity(ROUNDS);
    for i in 0..ROUNDS {
        let id = format!("r{i}");
        fake.push_event(FakeEvent::new(&id, event.clone()));
        let started = Instant::now();
        let (status, _, body) = runtime.get_next().await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, event);
        let request = Request::post(format!("/2018-06-01/runtime/invocation/{id}/response"))
            .header("host", "127.0.0.1")
            .header("content-type", "application/json")
            .body(full(Bytes::from_static(b"{\"statusCode\":200}")))
            .unwrap();
        let (status, ..) = runtime.send(request).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        times.push(started.elapsed());
    }
    times.sort();
    times
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_adds_little_latency_per_invocation() {
    let fake = FakeApi::start().await;
    let proxy = RuntimeProxy::start(
        ProxySettings::new("127.0.0.1:0".parse().unwrap(), &fake.authority()),
        vec![Arc::new(Passing)],
    )
    .await
    .unwrap();
    // Warm both paths (connections, allocations) before measuring.
    invocations(&fake, fake.addr).await;
    invocations(&fake, proxy.local_addr()).await;
    let direct = invocations(&fake, fake.addr).await;
    let proxied = invocations(&fake, proxy.local_addr()).await;
    let (d50, d99) = (percentile(&direct, 50), percentile(&direct, 99));
    let (p50, p99) = (percentile(&proxied, 50), percentile(&proxied, 99));
    println!(
        "per invocation over {ROUNDS}: direct p50 {d50:?} p99 {d99:?}; \
         through the proxy p50 {p50:?} p99 {p99:?}; added p50 {:?} p99 {:?}",
        p50.saturating_sub(d50),
        p99.saturating_sub(d99)
    );
    assert!(
        p50.saturating_sub(d50) < Duration::from_millis(5),
        "the proxy added {:?} at p50",
        p50.saturating_sub(d50)
    );
    proxy.shutdown().await;
}
