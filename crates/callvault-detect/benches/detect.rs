//! Criterion micro-benchmarks of the detector on typical call-center turns.

use callvault_detect::Detector;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let d = Detector::new();
    let cases = [
        ("written", "Sure, my card is 4111 1111 1111 1111 and you can reach me at 408-247-8880, I live at 377 Santana Row #1000."),
        ("spoken", "yeah my name is jane doe and my number is four zero eight two four seven eight eight eight zero thanks"),
        ("no_pii", "Your order total comes to $49.99 and it should arrive by 3:30 pm on Tuesday, thanks for calling."),
    ];
    let mut g = c.benchmark_group("detect");
    for (name, text) in cases {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| b.iter(|| d.detect(black_box(text))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
