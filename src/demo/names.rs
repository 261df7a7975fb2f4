//! Chinese place names for the demo, drawn deterministically from syllable tables.

use std::collections::HashSet;

use rand::Rng;
use rand::seq::IndexedRandom;

/// Real sub-districts of Wuhan's Hongshan / East Lake high-tech zone, used before generated ones.
const DISTRICTS: &[&str] = &[
    "关山",
    "佛祖岭",
    "豹澥",
    "花山",
    "九峰",
    "滨湖",
    "龙泉",
    "左岭",
    "流芳",
    "珞南",
    "洪山",
    "和平",
    "青菱",
    "张家湾",
    "梨园",
    "卓刀泉",
    "狮子山",
    "南湖",
];

/// Real arterials of Optics Valley, used before generated names.
const PRIMARIES: &[&str] = &["光谷大道", "民族大道", "关山大道", "高新大道", "雄楚大道", "南湖大道", "花城大道"];
const SECONDARIES: &[&str] = &[
    "珞喻路",
    "鲁磨路",
    "虎泉街",
    "关山一路",
    "光谷一路",
    "光谷二路",
    "软件园路",
    "大学园路",
    "金融港路",
    "光谷三路",
    "关南路",
    "茶山刘路",
];

/// Wuhan county-level division codes; a sub-district code is one of these and a 3-digit number.
const COUNTIES: &[&str] = &[
    "420111", "420106", "420102", "420103", "420104", "420105", "420107", "420112", "420113", "420114", "420115",
    "420116", "420117",
];

/// First and second syllables of community, district and arterial names (光谷, 关南, 华科 …).
const FIRST: &[&str] = &[
    "光", "关", "华", "民", "长", "汤", "金", "东", "南", "西", "北", "新", "和", "平", "兴", "丰", "佳", "康", "福",
    "安", "宁", "荣", "盛", "鹏", "凤", "龙", "桂", "梅", "兰", "竹", "松", "柳", "桃", "杏", "杨", "青", "翠", "锦",
    "秀", "明", "阳", "晨", "星", "云", "霞", "江", "湖", "泉", "林", "书", "文", "武", "珞", "卓", "虹", "嘉", "瑞",
    "祥", "永", "广", "博", "雅", "清", "静", "红", "白", "绿", "紫", "黄", "石", "玉", "宝", "富", "贵", "春", "夏",
    "秋", "冬", "德", "仁",
];
const SECOND: &[&str] = &[
    "谷", "山", "南", "东", "北", "湖", "园", "苑", "林", "港", "湾", "城", "华", "泰", "丰", "安", "兴", "康", "和",
    "平", "景", "岭", "庄", "桥", "口", "坡", "洲", "台", "塘", "堤", "河", "溪", "峰", "街", "门", "坊", "阁", "亭",
    "都", "源", "田", "洋", "庭", "苗", "岗", "滩", "沟", "堰",
];

/// Two-character words estates are named with, and the compound kinds that follow them.
const ESTATE_WORDS: &[&str] = &[
    "南湖", "金色", "阳光", "锦绣", "翠苑", "碧水", "蓝天", "书香", "紫菘", "华侨", "名流", "世纪", "东湖", "汤逊",
    "都市", "学府", "丽岛", "鲁巷", "珞瑜", "光谷", "未来", "花山", "保利", "万科", "金地", "当代", "融创", "恒大",
    "中建", "绿地", "华润", "龙湖", "招商", "新城", "城市", "清江", "枫叶", "桂园", "梅苑", "兰亭", "竹林", "松涛",
    "柳岸", "桃源", "杏林", "青山", "凤凰", "龙城", "金桥", "银湖", "玉泉", "宝安", "富康", "福星", "吉祥", "和谐",
    "幸福", "康乐", "安居", "宁静", "春晓", "秋实", "晨曦", "星光", "月湖", "云景", "霞光", "江南", "湖畔", "山水",
    "林语", "溪岸",
];
const TOWER_KINDS: &[&str] =
    &["花园", "华庭", "家园", "国际", "府", "公馆", "名都", "新城", "雅苑", "壹号", "天地", "城"];
const WALKUP_KINDS: &[&str] = &["小区", "新村", "宿舍", "里", "花园", "苑", "一村", "二村"];

/// Chinese ordinals for numbered streets (光谷一路 … 光谷十路).
const ORDINALS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Hands out names never given before, so records that link by name stay unambiguous.
#[derive(Debug, Default)]
pub struct Namer {
    used: HashSet<String>,
}

impl Namer {
    /// A name from `make` not handed out yet. `make` gets a tag to put in the name: empty at
    /// first, then 二, 三 … once a round of draws has all collided, so a crowded table still ends.
    pub fn unique<R: Rng>(&mut self, rng: &mut R, mut make: impl FnMut(&mut R, &str) -> String) -> String {
        let mut round = 1;
        loop {
            let tag = if round == 1 { String::new() } else { ordinal(round) };
            for _ in 0..40 {
                let name = make(rng, &tag);
                if self.used.insert(name.clone()) {
                    return name;
                }
            }
            round += 1;
        }
    }

    /// Reserves a fixed name (e.g. a real one) if free.
    pub fn claim(&mut self, name: &str) -> bool {
        self.used.insert(name.to_owned())
    }
}

fn pick<R: Rng>(rng: &mut R, table: &[&'static str]) -> &'static str {
    table.choose(rng).copied().unwrap_or("")
}

/// Chinese ordinal for 1..=99 (一, 十二, 二十三), decimal beyond.
pub fn ordinal(n: usize) -> String {
    match n {
        1..=10 => ORDINALS[n - 1].to_owned(),
        11..=19 => format!("十{}", ORDINALS[n - 11]),
        20..=99 if n.is_multiple_of(10) => format!("{}十", ORDINALS[n / 10 - 1]),
        21..=99 => format!("{}十{}", ORDINALS[n / 10 - 1], ORDINALS[n % 10 - 1]),
        _ => n.to_string(),
    }
}

/// A two-syllable stem with distinct syllables, e.g. 关南.
pub fn stem<R: Rng>(rng: &mut R) -> String {
    loop {
        let (a, b) = (pick(rng, FIRST), pick(rng, SECOND));
        if a != b {
            return format!("{a}{b}");
        }
    }
}

/// The `index`-th sub-district name (real ones first) and its 9-digit code.
pub fn district<R: Rng>(rng: &mut R, namer: &mut Namer, index: usize) -> (String, String) {
    let name = match DISTRICTS.get(index) {
        Some(real) if namer.claim(&format!("{real}街道")) => format!("{real}街道"),
        _ => namer.unique(rng, |r, tag| format!("{}{tag}街道", stem(r))),
    };
    // 100 sub-districts per county, then the next county, so codes stay unique for 1,300.
    let county = COUNTIES[(index / 100) % COUNTIES.len()];
    (name, format!("{county}{:03}", index % 100 + 1))
}

/// A community name unique in the dataset, e.g. 关南社区; its stem names the community's streets.
pub fn community<R: Rng>(rng: &mut R, namer: &mut Namer) -> String {
    namer.unique(rng, |r, tag| format!("{}{tag}社区", stem(r)))
}

/// The `index`-th arterial name of its class, unique in the dataset: real ones first, then
/// generated ones, 大道 for primaries and 路 / 街 for the rest.
pub fn arterial<R: Rng>(rng: &mut R, namer: &mut Namer, primary: bool, index: usize) -> String {
    let real = if primary { PRIMARIES } else { SECONDARIES };
    if let Some(name) = real.get(index).filter(|name| namer.claim(name)) {
        return (*name).to_owned();
    }
    namer.unique(rng, |r, tag| {
        let kind = if primary { "大道" } else { pick(r, &["路", "路", "街"]) };
        format!("{}{tag}{kind}", stem(r))
    })
}

/// An estate name unique within its community: 南湖花园 for towers, 桂园新村 for walk-ups.
pub fn estate<R: Rng>(rng: &mut R, namer: &mut Namer, walkup: bool) -> String {
    let kinds = if walkup { WALKUP_KINDS } else { TOWER_KINDS };
    namer.unique(rng, |r, tag| format!("{}{tag}{}", pick(r, ESTATE_WORDS), pick(r, kinds)))
}

/// An urban village (城中村) name, e.g. 关山村 (named after a stem, unique within the community).
pub fn village<R: Rng>(rng: &mut R, namer: &mut Namer) -> String {
    namer.unique(rng, |r, tag| format!("{}{tag}村", stem(r)))
}

/// The part of a community name before 社区, which its streets are named after.
pub fn community_stem(community: &str) -> &str {
    community.strip_suffix("社区").unwrap_or(community)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn ordinals_read_as_chinese() {
        assert_eq!(ordinal(1), "一");
        assert_eq!(ordinal(10), "十");
        assert_eq!(ordinal(12), "十二");
        assert_eq!(ordinal(20), "二十");
        assert_eq!(ordinal(23), "二十三");
    }

    #[test]
    fn namer_never_repeats_even_when_crowded() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut namer = Namer::default();
        let names: Vec<String> = (0..5000).map(|_| community(&mut rng, &mut namer)).collect();
        let distinct: HashSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
    }

    #[test]
    fn first_districts_are_real_with_nine_digit_codes() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut namer = Namer::default();
        let (name, code) = district(&mut rng, &mut namer, 0);
        assert_eq!((name.as_str(), code.as_str()), ("关山街道", "420111001"));
        let (_, code) = district(&mut rng, &mut namer, 150);
        assert_eq!(code.len(), 9);
    }
}
