//! `palfa_search::pipeline::resources`: phases get their own time and memory
//! (a test binary of its own, so no other test's memory is counted).

use std::time::{Duration, Instant};

use palfa_search::pipeline::resources::{process_cpu_seconds, Meter};

#[test]
fn phases_get_their_time_and_memory() {
    let m = Meter::new();
    m.enter(Some("spin"));
    let t0 = Instant::now();
    let cpu0 = process_cpu_seconds();
    let mut x = 0u64;
    // 150 ms of wall time and, on a loaded machine too, 0.4 s of this
    // process's CPU (at most 30 s of waiting for it).
    let spun = || match (cpu0, process_cpu_seconds()) {
        (Some(a), Some(b)) => b - a >= 0.4 || t0.elapsed() > Duration::from_secs(30),
        _ => true,
    };
    while t0.elapsed() < Duration::from_millis(150) || !spun() {
        for _ in 0..1000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(std::hint::black_box(1));
        }
    }
    std::hint::black_box(x);
    m.enter(Some("hold"));
    // 64 MiB touched, held while the sampler looks.
    let big = vec![1u8; 64 << 20];
    std::thread::sleep(Duration::from_millis(100));
    std::hint::black_box(&big);
    m.enter(None);
    drop(big);
    let spin = m.cost("spin").expect("spin measured");
    let hold = m.cost("hold").expect("hold measured");
    assert!(spin.wall_s >= 0.15 && hold.wall_s >= 0.1, "{spin:?} {hold:?}");
    if process_cpu_seconds().is_some() {
        // USER_HZ ticks: 0.4 s of spinning is at least 0.35 s of CPU. The
        // hold's own CPU is touching 64 MiB, which a loaded machine's page
        // faults made 0.09 s once; a meter that gave it the spin's time
        // would show at least 0.35 s.
        assert!(spin.cpu_s.unwrap() >= 0.35, "{spin:?}");
        assert!(hold.cpu_s.unwrap() < 0.25, "{hold:?}");
        let (a, b) = (spin.peak_rss_bytes.unwrap(), hold.peak_rss_bytes.unwrap());
        assert!(b >= a + (60 << 20), "spin peak {a}, hold peak {b}");
    }
    m.enter(Some("spin"));
    m.enter(None);
    assert!(m.cost("spin").unwrap().wall_s >= spin.wall_s);
    assert!(m.cost("none").is_none());
}
