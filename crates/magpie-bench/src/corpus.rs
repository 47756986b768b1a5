//! The corpus of `magpie bench search`: chat messages in Chinese, English and both, made from a
//! word-frequency list with a fixed seed, so that every run, and the PostgreSQL baseline, see
//! the same messages. Words are drawn by their frequency (so `的` and `the` are as common as
//! in real text); messages carry person names, @mentions of members, and some are files
//! (`季度报告.pdf`). Message `i` depends only on the seed and `i`, so a loader can make them in
//! any order and a second loader makes exactly the same ones.

/// `LANG<TAB>WORD<TAB>PER BILLION` lines from wordfreq (see `bench/search-words.py`).
const WORDS: &str = include_str!("search_words.txt");

const SURNAMES: [&str; 24] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋",
];
const GIVEN: [&str; 24] = [
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀兰", "霞", "平", "刚", "桂英", "志强",
];
const FIRST: [&str; 20] = [
    "James", "Mary", "John", "Linda", "Robert", "Susan", "Michael", "Karen", "David", "Lisa", "William", "Emma",
    "Daniel", "Olivia", "Thomas", "Grace", "Kevin", "Alice", "Brian", "Nancy",
];
const LAST: [&str; 12] =
    ["Smith", "Johnson", "Brown", "Miller", "Davis", "Wilson", "Moore", "Taylor", "Clark", "Lewis", "Walker", "Young"];
const FILE_STEMS: [&str; 16] = [
    "季度报告",
    "会议纪要",
    "项目计划",
    "合同草案",
    "预算表",
    "设计稿",
    "需求文档",
    "测试报告",
    "release-notes",
    "budget",
    "roadmap",
    "invoice",
    "onboarding",
    "architecture",
    "产品路线图",
    "年终总结",
];
const FILE_EXTS: [&str; 6] = ["pdf", "docx", "xlsx", "pptx", "zip", "png"];

/// splitmix64: message `i`'s generator is seeded from the run's seed and `i` alone.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next();
        rng
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Words of one language with their cumulative frequencies, drawn by frequency.
struct Vocabulary {
    words: Vec<&'static str>,
    cumulative: Vec<u64>,
}

impl Vocabulary {
    fn of(lang: &str) -> Vocabulary {
        let mut v = Vocabulary { words: Vec::new(), cumulative: Vec::new() };
        let mut total = 0;
        for line in WORDS.lines().filter(|l| !l.starts_with('#')) {
            let mut fields = line.split('\t');
            let (Some(l), Some(word), Some(freq)) = (fields.next(), fields.next(), fields.next()) else { continue };
            if l != lang {
                continue;
            }
            total += freq.parse::<u64>().unwrap_or(1);
            v.words.push(word);
            v.cumulative.push(total);
        }
        v
    }

    fn draw(&self, rng: &mut Rng) -> &'static str {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let at = rng.next() % total;
        let i = self.cumulative.partition_point(|&c| c <= at);
        self.words.get(i).copied().unwrap_or("")
    }
}

/// A conversation of the corpus: its members, as indexes into the corpus's users.
#[derive(Debug, Clone)]
pub struct Chat {
    pub group: bool,
    pub members: Vec<usize>,
}

/// One message of the corpus.
#[derive(Debug, Clone)]
pub struct Message {
    /// Index into [`Corpus::chats`].
    pub chat: usize,
    /// Index into the users.
    pub sender: usize,
    /// `text`, or `file` with [`Message::file_name`].
    pub text: String,
    pub file_name: Option<String>,
    /// Mentioned users (indexes); the text names them as `@name`.
    pub mentions: Vec<usize>,
}

/// The corpus's users, conversations and word lists; messages come from [`Corpus::message`].
pub struct Corpus {
    seed: u64,
    pub names: Vec<String>,
    pub chats: Vec<Chat>,
    zh: Vocabulary,
    en: Vocabulary,
}

impl Corpus {
    /// `users` users (user 0 is the searcher: a member of every group and of direct chats
    /// with users 1..=`directs`), `groups` groups of 4 to 16 members besides it, and direct
    /// chats between other users.
    pub fn new(seed: u64, users: usize, groups: usize) -> Corpus {
        let users = users.max(3);
        let mut rng = Rng::new(seed, u64::MAX);
        let names = (0..users)
            .map(|i| {
                if i % 3 == 2 {
                    format!("{} {}", FIRST[rng.below(FIRST.len())], LAST[rng.below(LAST.len())])
                } else {
                    format!("{}{}", SURNAMES[rng.below(SURNAMES.len())], GIVEN[rng.below(GIVEN.len())])
                }
            })
            .collect();
        let mut chats = Vec::new();
        for _ in 0..groups {
            // Never more members than there are users besides the searcher.
            let size = (4 + rng.below(13)).min(users - 1);
            let mut members = vec![0];
            while members.len() <= size {
                let m = 1 + rng.below(users - 1);
                if !members.contains(&m) {
                    members.push(m);
                }
            }
            chats.push(Chat { group: true, members });
        }
        // As many direct chats as groups: half with the searcher, half between others.
        for k in 0..groups.max(1) {
            let a = if k % 2 == 0 { 0 } else { 1 + rng.below(users - 1) };
            let mut b = 1 + rng.below(users - 1);
            if b == a {
                b = 1 + (b % (users - 1));
            }
            chats.push(Chat { group: false, members: vec![a, b] });
        }
        Corpus { seed, names, chats, zh: Vocabulary::of("zh"), en: Vocabulary::of("en") }
    }

    /// The words a message's text is made of: each drawn by its frequency.
    fn sentence(&self, rng: &mut Rng, out: &mut String) {
        // Four in ten messages Chinese, two English, four mixed (as in a company chat).
        let style = rng.below(10);
        let words = 3 + rng.below(20);
        for _ in 0..words {
            let english = match style {
                0..=3 => false,
                4..=5 => true,
                _ => rng.chance(30),
            };
            if english {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
                out.push_str(self.en.draw(rng));
                out.push(' ');
            } else {
                if out.ends_with(' ') && style <= 3 {
                    out.pop();
                }
                out.push_str(self.zh.draw(rng));
                if rng.chance(8) {
                    out.push('，');
                }
            }
        }
        let end = out.trim_end().len();
        out.truncate(end);
        out.push(if style == 4 || style == 5 { '.' } else { '。' });
    }

    /// Message `i`: the same for a seed and `i`, whoever asks.
    pub fn message(&self, i: u64) -> Message {
        let mut rng = Rng::new(self.seed, i);
        // Nine in ten messages in groups; the busiest groups get most (the square skews it).
        let groups = self.chats.iter().filter(|c| c.group).count();
        let chat = if groups > 0 && rng.chance(90) {
            let u = rng.next() as f64 / u64::MAX as f64;
            ((u * u) * groups as f64) as usize % groups
        } else {
            groups + rng.below(self.chats.len() - groups)
        };
        let members = &self.chats[chat].members;
        // The searcher (user 0) only reads: it is not online, so that the load does not push
        // nine tenths of the corpus to one connection of the bench.
        let sender = members[1 + rng.below(members.len() - 1)];
        let mut text = String::new();
        let mut mentions = Vec::new();
        if self.chats[chat].group && rng.chance(10) {
            let m = members[rng.below(members.len())];
            if m != sender {
                mentions.push(m);
                text.push('@');
                text.push_str(&self.names[m]);
                text.push(' ');
            }
        }
        if rng.chance(8) {
            // Someone named in passing.
            let who = &self.names[rng.below(self.names.len())];
            text.push_str(who);
            text.push_str(if rng.chance(50) { "说" } else { " said " });
        }
        self.sentence(&mut rng, &mut text);
        let file_name = rng.chance(5).then(|| {
            let stem = FILE_STEMS[rng.below(FILE_STEMS.len())];
            let ext = FILE_EXTS[rng.below(FILE_EXTS.len())];
            if rng.chance(50) { format!("{stem}.{ext}") } else { format!("{stem}-{}.{ext}", 2020 + rng.below(7)) }
        });
        Message { chat, sender, text, file_name, mentions }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corpus_of_few_users_has_groups_of_at_most_all_of_them() {
        let corpus = Corpus::new(1, 4, 5);
        assert!(corpus.chats.iter().all(|c| c.members.len() <= 4));
    }

    #[test]
    fn the_corpus_is_the_same_for_a_seed_and_mixes_languages_names_mentions_and_files() {
        let (a, b) = (Corpus::new(7, 50, 10), Corpus::new(7, 50, 10));
        assert_eq!(a.names, b.names);
        let msgs: Vec<Message> = (0..2000).map(|i| a.message(i)).collect();
        for (i, m) in msgs.iter().enumerate() {
            assert_eq!(m.text, b.message(i as u64).text);
            assert!(a.chats[m.chat].members.contains(&m.sender));
            assert_ne!(m.sender, 0, "the searcher sends nothing");
            assert!(m.mentions.iter().all(|x| a.chats[m.chat].members.contains(x)));
        }
        assert!(msgs.iter().any(|m| m.text.contains('的')));
        assert!(msgs.iter().any(|m| m.text.split(' ').any(|w| w == "the")));
        assert!(msgs.iter().any(|m| !m.mentions.is_empty()));
        assert!(msgs.iter().any(|m| m.file_name.is_some()));
        assert!(a.chats.iter().filter(|c| c.group).all(|c| c.members[0] == 0));
    }
}
