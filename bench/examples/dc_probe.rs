use rtc_bench_compare::datachannel::{Certificates, Stack, setup};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let stack = match args[1].as_str() {
        "ours" => Stack::Ours,
        "webrtc" => Stack::WebrtcRs,
        "webrtcbig" => Stack::WebrtcRsBigBuffers,
        _ => Stack::Str0m,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let certs = Certificates::new();
    if args[2] == "idle" {
        let n: usize = args[3].parse().unwrap();
        let mut pairs = Vec::new();
        for _ in 0..n {
            pairs.push(rt.block_on(setup(stack, &certs)).1);
        }
        rt.block_on(async { tokio::time::sleep(std::time::Duration::from_secs(2)).await });
        std::process::exit(0);
    }
    if args[2] == "setup" {
        let n: usize = args[3].parse().unwrap();
        let mut v = Vec::new();
        for _ in 0..n {
            let (t, p) = rt.block_on(setup(stack, &certs));
            rt.block_on(p.close());
            v.push(t.as_secs_f64() * 1e3);
        }
        v.sort_by(f64::total_cmp);
        eprintln!(
            "setup p50 {:.3} ms p99 {:.3} ms",
            v[v.len() / 2],
            v[v.len() * 99 / 100]
        );
        return;
    }
    let size: usize = args[2].parse().unwrap();
    let mib: usize = args[3].parse().unwrap();
    let reps: usize = args.get(4).map(|s| s.parse().unwrap()).unwrap_or(1);
    let (t, mut pair) = rt.block_on(setup(stack, &certs));
    eprintln!("setup {:?}", t);
    for _ in 0..reps {
        let e = rt.block_on(pair.transfer(size, (mib << 20) / size));
        eprintln!(
            "{} MiB in {} B: {:?} {:.1} MiB/s",
            mib,
            size,
            e,
            mib as f64 / e.as_secs_f64()
        );
    }
    rt.block_on(pair.close());
}
