//! Given names and family names with ASCII forms for addresses.

use crate::vocab::Lang;

/// A name and its lower-case ASCII transliteration.
pub(crate) type Name = (&'static str, &'static str);

#[rustfmt::skip]
const EN_FIRST: &[Name] = &[
    ("Alice", "alice"), ("James", "james"), ("Mary", "mary"), ("John", "john"), ("Patricia", "patricia"),
    ("Robert", "robert"), ("Jennifer", "jennifer"), ("Michael", "michael"), ("Linda", "linda"),
    ("William", "william"), ("Elizabeth", "elizabeth"), ("David", "david"), ("Barbara", "barbara"),
    ("Richard", "richard"), ("Susan", "susan"), ("Joseph", "joseph"), ("Jessica", "jessica"),
    ("Thomas", "thomas"), ("Sarah", "sarah"), ("Charles", "charles"), ("Karen", "karen"),
    ("Christopher", "christopher"), ("Nancy", "nancy"), ("Daniel", "daniel"), ("Lisa", "lisa"),
    ("Matthew", "matthew"), ("Betty", "betty"), ("Anthony", "anthony"), ("Margaret", "margaret"),
    ("Mark", "mark"), ("Sandra", "sandra"), ("Steven", "steven"), ("Ashley", "ashley"),
    ("Paul", "paul"), ("Emily", "emily"), ("Andrew", "andrew"), ("Michelle", "michelle"),
    ("Kevin", "kevin"), ("Amanda", "amanda"), ("Brian", "brian"), ("Melissa", "melissa"),
];
#[rustfmt::skip]
const EN_LAST: &[Name] = &[
    ("Smith", "smith"), ("Johnson", "johnson"), ("Williams", "williams"), ("Brown", "brown"),
    ("Jones", "jones"), ("Garcia", "garcia"), ("Miller", "miller"), ("Davis", "davis"),
    ("Rodriguez", "rodriguez"), ("Martinez", "martinez"), ("Wilson", "wilson"),
    ("Anderson", "anderson"), ("Taylor", "taylor"), ("Moore", "moore"), ("Jackson", "jackson"),
    ("Lee", "lee"), ("Thompson", "thompson"), ("White", "white"), ("Harris", "harris"),
    ("Clark", "clark"), ("Lewis", "lewis"), ("Robinson", "robinson"), ("Walker", "walker"),
    ("Young", "young"), ("Allen", "allen"), ("King", "king"), ("Wright", "wright"),
    ("Scott", "scott"), ("Nguyen", "nguyen"), ("Hill", "hill"), ("O'Brien", "obrien"),
    ("McAllister", "mcallister"), ("Baker", "baker"), ("Carter", "carter"), ("Mitchell", "mitchell"),
];
#[rustfmt::skip]
const DE_FIRST: &[Name] = &[
    ("Jürgen", "juergen"), ("Jörg", "joerg"), ("Björn", "bjoern"), ("Günter", "guenter"),
    ("Ursula", "ursula"), ("Käthe", "kaethe"), ("Sören", "soeren"), ("Maximilian", "maximilian"),
    ("Sophie", "sophie"), ("Lukas", "lukas"), ("Anna", "anna"), ("Felix", "felix"),
    ("Lena", "lena"), ("Jonas", "jonas"), ("Marie", "marie"), ("Hannah", "hannah"),
    ("Leon", "leon"), ("Mia", "mia"), ("Tobias", "tobias"), ("Katrin", "katrin"),
    ("Matthias", "matthias"), ("Stefanie", "stefanie"), ("Andreas", "andreas"), ("Sabine", "sabine"),
    ("Dieter", "dieter"), ("Heike", "heike"), ("Uwe", "uwe"), ("Claudia", "claudia"),
    ("Wolfgang", "wolfgang"), ("Brigitte", "brigitte"), ("Klaus", "klaus"), ("Jens", "jens"),
];
#[rustfmt::skip]
const DE_LAST: &[Name] = &[
    ("Müller", "mueller"), ("Schmidt", "schmidt"), ("Schneider", "schneider"),
    ("Fischer", "fischer"), ("Weber", "weber"), ("Meyer", "meyer"), ("Wagner", "wagner"),
    ("Becker", "becker"), ("Schulz", "schulz"), ("Hoffmann", "hoffmann"), ("Schäfer", "schaefer"),
    ("Koch", "koch"), ("Bauer", "bauer"), ("Richter", "richter"), ("Klein", "klein"),
    ("Schröder", "schroeder"), ("Neumann", "neumann"), ("Zimmermann", "zimmermann"),
    ("Braun", "braun"), ("Krüger", "krueger"), ("Hartmann", "hartmann"), ("Lange", "lange"),
    ("Köhler", "koehler"), ("König", "koenig"), ("Weiß", "weiss"), ("Groß", "gross"),
    ("Fuchs", "fuchs"), ("Jäger", "jaeger"), ("Möller", "moeller"), ("Böhm", "boehm"),
    ("Straßer", "strasser"), ("Huber", "huber"),
];
#[rustfmt::skip]
const FR_FIRST: &[Name] = &[
    ("François", "francois"), ("Hélène", "helene"), ("Amélie", "amelie"), ("Zoé", "zoe"),
    ("Jérôme", "jerome"), ("Stéphane", "stephane"), ("Céline", "celine"),
    ("Frédéric", "frederic"), ("Léa", "lea"), ("Chloé", "chloe"), ("Gaëlle", "gaelle"),
    ("Noël", "noel"), ("Benoît", "benoit"), ("Inès", "ines"), ("Jean", "jean"),
    ("Pierre", "pierre"), ("Camille", "camille"), ("Louis", "louis"), ("Julien", "julien"),
    ("Nicolas", "nicolas"), ("Isabelle", "isabelle"), ("Nathalie", "nathalie"),
    ("Sylvie", "sylvie"), ("Philippe", "philippe"), ("Thierry", "thierry"),
    ("Sébastien", "sebastien"), ("Élodie", "elodie"), ("Aurélie", "aurelie"), ("Anaïs", "anais"),
    ("Raphaël", "raphael"), ("Clément", "clement"), ("Valérie", "valerie"),
];
#[rustfmt::skip]
const FR_LAST: &[Name] = &[
    ("Martin", "martin"), ("Bernard", "bernard"), ("Dubois", "dubois"), ("Thomas", "thomas"),
    ("Robert", "robert"), ("Petit", "petit"), ("Durand", "durand"), ("Leroy", "leroy"),
    ("Moreau", "moreau"), ("Simon", "simon"), ("Laurent", "laurent"), ("Lefèvre", "lefevre"),
    ("Michel", "michel"), ("Bertrand", "bertrand"), ("Roux", "roux"), ("Vincent", "vincent"),
    ("Fournier", "fournier"), ("Girard", "girard"), ("André", "andre"), ("Mercier", "mercier"),
    ("Dupont", "dupont"), ("Lambert", "lambert"), ("Bonnet", "bonnet"), ("Légaré", "legare"),
    ("Rousseau", "rousseau"), ("Guérin", "guerin"), ("Chevalier", "chevalier"),
    ("Gauthier", "gauthier"), ("Fontaine", "fontaine"), ("Côté", "cote"),
];
#[rustfmt::skip]
const RU_FIRST_M: &[Name] = &[
    ("Александр", "aleksandr"), ("Дмитрий", "dmitriy"), ("Максим", "maksim"),
    ("Сергей", "sergey"), ("Андрей", "andrey"), ("Алексей", "aleksey"), ("Артём", "artyom"),
    ("Илья", "ilya"), ("Кирилл", "kirill"), ("Михаил", "mikhail"), ("Никита", "nikita"),
    ("Роман", "roman"), ("Егор", "egor"), ("Иван", "ivan"), ("Денис", "denis"),
    ("Евгений", "evgeniy"), ("Владимир", "vladimir"), ("Павел", "pavel"), ("Юрий", "yuriy"),
    ("Олег", "oleg"),
];
#[rustfmt::skip]
const RU_FIRST_F: &[Name] = &[
    ("Анастасия", "anastasiya"), ("Мария", "mariya"), ("Анна", "anna"),
    ("Виктория", "viktoriya"), ("Екатерина", "ekaterina"), ("Наталья", "natalya"),
    ("Марина", "marina"), ("Полина", "polina"), ("Дарья", "darya"), ("Ксения", "kseniya"),
    ("Елена", "elena"), ("Ольга", "olga"), ("Татьяна", "tatyana"), ("Ирина", "irina"),
    ("Светлана", "svetlana"), ("Юлия", "yuliya"),
];
/// Masculine surnames; the feminine form appends "а" / "a".
#[rustfmt::skip]
const RU_LAST: &[Name] = &[
    ("Иванов", "ivanov"), ("Смирнов", "smirnov"), ("Кузнецов", "kuznetsov"), ("Попов", "popov"),
    ("Васильев", "vasilev"), ("Петров", "petrov"), ("Соколов", "sokolov"),
    ("Михайлов", "mikhaylov"), ("Новиков", "novikov"), ("Фёдоров", "fedorov"),
    ("Морозов", "morozov"), ("Волков", "volkov"), ("Алексеев", "alekseev"), ("Лебедев", "lebedev"),
    ("Семёнов", "semenov"), ("Егоров", "egorov"), ("Павлов", "pavlov"), ("Козлов", "kozlov"),
    ("Степанов", "stepanov"), ("Николаев", "nikolaev"), ("Орлов", "orlov"), ("Андреев", "andreev"),
    ("Макаров", "makarov"), ("Никитин", "nikitin"), ("Захаров", "zakharov"), ("Зайцев", "zaytsev"),
    ("Соловьёв", "solovyov"), ("Борисов", "borisov"), ("Щукин", "shchukin"), ("Королёв", "korolyov"),
];
#[rustfmt::skip]
const ZH_FAMILY: &[Name] = &[
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
];
#[rustfmt::skip]
const ZH_GIVEN: &[Name] = &[
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("秀英", "xiuying"), ("敏", "min"),
    ("静", "jing"), ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("涛", "tao"), ("明", "ming"), ("超", "chao"),
    ("秀兰", "xiulan"), ("霞", "xia"), ("建华", "jianhua"), ("志强", "zhiqiang"),
    ("晓明", "xiaoming"), ("海燕", "haiyan"), ("子涵", "zihan"), ("浩然", "haoran"),
];
#[rustfmt::skip]
const JA_FAMILY: &[Name] = &[
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
];
#[rustfmt::skip]
const JA_GIVEN: &[Name] = &[
    ("太郎", "taro"), ("花子", "hanako"), ("翔太", "shota"), ("陽菜", "hina"), ("健太", "kenta"),
    ("美咲", "misaki"), ("大輔", "daisuke"), ("由美", "yumi"), ("拓也", "takuya"), ("恵", "megumi"),
    ("直樹", "naoki"), ("愛", "ai"), ("誠", "makoto"), ("裕子", "yuko"), ("浩", "hiroshi"),
    ("明美", "akemi"), ("蓮", "ren"), ("結衣", "yui"), ("さくら", "sakura"), ("ひろみ", "hiromi"),
];

/// A person's name parts.
pub(crate) struct PersonName {
    /// Given name as displayed.
    pub(crate) given: String,
    /// Family name as displayed.
    pub(crate) family: String,
    /// Given name in ASCII.
    pub(crate) given_ascii: &'static str,
    /// Family name in ASCII.
    pub(crate) family_ascii: String,
    /// Full display name in the language's customary order.
    pub(crate) display: String,
}

/// Picks a name for a person of `lang` from two random draws.
pub(crate) fn pick_name(lang: Lang, a: usize, b: usize, c: usize) -> PersonName {
    let western = |first: &[Name], last: &[Name]| {
        let (g, ga) = first[a % first.len()];
        let (f, fa) = last[b % last.len()];
        PersonName {
            given: g.to_string(),
            family: f.to_string(),
            given_ascii: ga,
            family_ascii: fa.to_string(),
            display: format!("{g} {f}"),
        }
    };
    match lang {
        Lang::En => western(EN_FIRST, EN_LAST),
        Lang::De => western(DE_FIRST, DE_LAST),
        Lang::Fr => western(FR_FIRST, FR_LAST),
        Lang::Ru => {
            let female = c % 2 == 1;
            let first = if female { RU_FIRST_F } else { RU_FIRST_M };
            let (g, ga) = first[a % first.len()];
            let (f, fa) = RU_LAST[b % RU_LAST.len()];
            let (family, family_ascii) = if female {
                (format!("{f}а"), format!("{fa}a"))
            } else {
                (f.to_string(), fa.to_string())
            };
            PersonName {
                display: format!("{g} {family}"),
                given: g.to_string(),
                family,
                given_ascii: ga,
                family_ascii,
            }
        }
        Lang::Zh | Lang::Ja => {
            let (families, givens) = if lang == Lang::Zh {
                (ZH_FAMILY, ZH_GIVEN)
            } else {
                (JA_FAMILY, JA_GIVEN)
            };
            let (f, fa) = families[b % families.len()];
            let (g, ga) = givens[a % givens.len()];
            let display = match (lang, c % 4) {
                // Romanised display names are common for CJK senders.
                (_, 0) => format!("{} {}", capitalize(ga), capitalize(fa)),
                (Lang::Ja, 1) => format!("{f} {g}"),
                _ => format!("{f}{g}"),
            };
            PersonName {
                given: g.to_string(),
                family: f.to_string(),
                given_ascii: ga,
                family_ascii: fa.to_string(),
                display,
            }
        }
    }
}

/// Upper-cases the first character.
pub(crate) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
