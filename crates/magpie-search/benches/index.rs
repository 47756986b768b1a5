//! Indexing rate and query latency on generated Chinese and English messages.
//!
//! `cargo bench -p magpie-search --bench index -- --quick` runs it;
//! `MAGPIE_SEARCH_BENCH_MESSAGES` sets the corpus size (default 20,000). The corpus is made
//! from small word lists with a fixed seed, so runs compare. Query benches: a typical Chinese
//! query, a mixed one, an English one, the same typical query newest first, and the worst
//! case, a single character that is in a large share of the messages.

// A bench is test code: a failed setup is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use magpie_search::{MessageDoc, MessageIndex, Order, SearchRequest, Span, WriterConfig};

const CONVERSATIONS: i64 = 200;

const ZH: [&str; 40] = [
    "项目",
    "进度",
    "会议",
    "明天",
    "今天",
    "周五",
    "发布",
    "测试",
    "需求",
    "文档",
    "客户",
    "合同",
    "预算",
    "报告",
    "上线",
    "问题",
    "修复",
    "版本",
    "服务器",
    "数据库",
    "设计",
    "评审",
    "产品",
    "经理",
    "同事",
    "部门",
    "通知",
    "安排",
    "确认",
    "完成",
    "我们",
    "你们",
    "已经",
    "还是",
    "可以",
    "需要",
    "的",
    "了",
    "在",
    "和",
];
const EN: [&str; 24] = [
    "release", "meeting", "deploy", "review", "budget", "server", "bug", "fix", "client", "design", "notes", "plan",
    "today", "tomorrow", "friday", "the", "and", "for", "with", "ok", "thanks", "please", "check", "update",
];

/// xorshift64*: a fixed, dependency-free sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn corpus(len: usize) -> Vec<MessageDoc> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut seqs = vec![0i64; CONVERSATIONS as usize];
    (0..len)
        .map(|i| {
            let conversation = rng.below(CONVERSATIONS as usize);
            seqs[conversation] += 1;
            let words = 4 + rng.below(16);
            let mut text = String::new();
            for _ in 0..words {
                if rng.below(4) == 0 {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(EN[rng.below(EN.len())]);
                    text.push(' ');
                } else {
                    text.push_str(ZH[rng.below(ZH.len())]);
                }
            }
            MessageDoc {
                domain: 1,
                conversation: conversation as i64 + 1,
                seq: seqs[conversation],
                sender: 1 + rng.below(50) as i64,
                at_ms: 1_700_000_000_000 + i as i64 * 1000,
                kind: "text".into(),
                text,
                has_link: rng.below(20) == 0,
                mentions: if rng.below(10) == 0 { vec![1 + rng.below(50) as i64] } else { vec![] },
                ..MessageDoc::default()
            }
        })
        .collect()
}

fn corpus_len() -> usize {
    std::env::var("MAGPIE_SEARCH_BENCH_MESSAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000)
}

fn build(dir: &std::path::Path, docs: &[MessageDoc]) -> MessageIndex {
    let index = MessageIndex::open_or_create(dir).unwrap();
    let mut writer = index.writer_with(WriterConfig { threads: 1, ..WriterConfig::default() }).unwrap();
    for (i, doc) in docs.iter().enumerate() {
        writer.put(doc).unwrap();
        if i % 10_000 == 9_999 {
            writer.commit(&i.to_string()).unwrap();
        }
    }
    writer.commit("end").unwrap();
    index
}

fn indexing(c: &mut Criterion) {
    magpie_search::analysis::warm_up();
    let docs = corpus(corpus_len());
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.throughput(Throughput::Elements(docs.len() as u64));
    group.bench_function(format!("{} messages, one thread", docs.len()), |b| {
        b.iter(|| {
            let dir = tempfile::tempdir().unwrap();
            black_box(build(dir.path(), &docs).num_docs())
        })
    });
    group.finish();
}

fn queries(c: &mut Criterion) {
    let docs = corpus(corpus_len());
    let dir = tempfile::tempdir().unwrap();
    let index = build(dir.path(), &docs);
    let everything: Vec<Span> =
        (1..=CONVERSATIONS).map(|conversation| Span { conversation, from_seq: 0, until_seq: None }).collect();
    let mut group = c.benchmark_group(format!("query over {} messages", docs.len()));
    let cases = [
        ("typical: 项目进度", "项目进度", Order::Relevance),
        ("mixed: 周五 release", "周五 release", Order::Relevance),
        ("english: budget review", "budget review", Order::Relevance),
        ("newest first: 项目进度", "项目进度", Order::Newest),
        ("worst: a common character 的", "的", Order::Relevance),
    ];
    for (name, query, order) in cases {
        let mut request = SearchRequest::new(1, query, everything.clone());
        request.order = order;
        let total = index.search(&request).unwrap().total;
        eprintln!("{name}: {total} matches");
        group.bench_function(name, |b| b.iter(|| black_box(index.search(&request).unwrap())));
    }
    group.finish();
}

criterion_group!(benches, indexing, queries);
criterion_main!(benches);
