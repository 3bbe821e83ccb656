/** Word lists for lyrics, titles and names. Tokens are lowercase letters and apostrophes only. */

const words = (text: string) => text.trim().split(/\s+/);

export type Theme = {
  name: string;
  /** −1 (dark) … +1 (bright): pulls a track's sentiment and audio valence. */
  valence: number;
  /** −1 (calm) … +1 (intense): pulls a track's energy. */
  energy: number;
  nouns: string[];
  verbs: string[];
  adjectives: string[];
};

const theme = (name: string, valence: number, energy: number, n: string, v: string, a: string): Theme => ({
  name,
  valence,
  energy,
  nouns: words(n),
  verbs: words(v),
  adjectives: words(a),
});

export const THEMES: readonly Theme[] = [
  theme(
    "money",
    0.3,
    0.1,
    "money cash racks bands paper stacks bag check bank chain whip mansion diamonds ice profit",
    "countin' stackin' flippin' spendin' gettin' makin'",
    "rich paid loaded fresh golden heavy",
  ),
  theme(
    "street life",
    -0.2,
    0.15,
    "block corner trap hood streets alley concrete sirens curb porch projects",
    "trappin' ridin' movin' posted servin' creepin'",
    "cold grimy real raw late dark",
  ),
  theme(
    "love",
    0.6,
    -0.25,
    "love baby heart girl kiss touch eyes lips arms queen",
    "holdin' missin' lovin' callin' wantin' needin'",
    "sweet soft warm true beautiful precious",
  ),
  theme(
    "struggle",
    -0.5,
    -0.05,
    "struggle pain rent bills hunger tears storm weight scars",
    "fightin' strugglin' survivin' prayin' losin' carryin'",
    "broke tired hungry lost broken heavy",
  ),
  theme(
    "party",
    0.7,
    0.5,
    "party club bottles floor lights crowd music bass shots weekend",
    "dancin' poppin' partyin' turnin' wildin' jumpin'",
    "lit loud wild crazy live happy",
  ),
  theme(
    "fame",
    0.3,
    0.3,
    "fame spotlight stage cameras fans throne crown legacy award",
    "shinin' flexin' performin' signin' risin' winnin'",
    "famous iconic legendary bright hot major",
  ),
  theme(
    "loyalty",
    0.2,
    0.05,
    "brothers squad team gang crew bond trust oath circle",
    "ridin' standin' holdin' backin' rockin'",
    "loyal solid real true tight proud",
  ),
  theme(
    "betrayal",
    -0.6,
    0.2,
    "snakes friends lies traitor knife envy rats smiles",
    "switchin' lyin' snitchin' plottin' hatin' backstabbin'",
    "fake shady jealous cold false sneaky",
  ),
  theme(
    "violence",
    -0.7,
    0.6,
    "gun smoke war beef shots blood opps pistol target drama",
    "shootin' bustin' slidin' sprayin' aimin' fightin'",
    "deadly savage violent reckless ruthless dead",
  ),
  theme(
    "drugs",
    -0.3,
    0.0,
    "pack pills lean weed dope plug powder cup haze",
    "smokin' sippin' servin' mixin' floatin' rollin'",
    "high faded numb gone geeked lost",
  ),
  theme(
    "family",
    0.5,
    -0.2,
    "mama daddy son daughter grandma home kids sister blessings",
    "raisin' providin' protectin' teachin' feedin' prayin'",
    "proud grateful blessed humble strong happy",
  ),
  theme(
    "ambition",
    0.5,
    0.3,
    "dreams goals vision mission future empire plan success summit",
    "buildin' climbin' chasin' reachin' workin' grindin'",
    "hungry focused driven unstoppable determined free",
  ),
  theme(
    "spirituality",
    0.4,
    -0.3,
    "god faith prayer heaven angels spirit soul church grace",
    "prayin' believin' healin' risin' blessin' thankin'",
    "holy divine blessed sacred peaceful free",
  ),
  theme(
    "social justice",
    -0.2,
    0.1,
    "system justice freedom people voice power police chains truth change",
    "marchin' speakin' standin' fightin' changin' votin'",
    "unfair equal free conscious righteous broken",
  ),
  theme(
    "heartbreak",
    -0.7,
    -0.4,
    "heartbreak tears goodbye memories ghost pillow silence wounds regrets",
    "cryin' leavin' hurtin' forgettin' driftin' missin'",
    "lonely empty broken numb cold lost",
  ),
  theme(
    "nostalgia",
    0.1,
    -0.3,
    "memories childhood summers yesterday photos school radio tapes",
    "rememberin' reminiscin' wishin' growin' playin'",
    "old young simple golden faded happy",
  ),
];

/** Line endings in groups that share their last two letters — the rhyme the analyzer counts. */
export const RHYME_GROUPS: readonly string[][] = [
  "day way pay stay play okay today away pray say",
  "flow know show slow glow throw grow below low",
  "night light fight right tight might sight bright",
  "game fame name same flame shame came frame",
  "pain rain chain gain brain main train remain",
  "back stack track black attack crack pack",
  "alone zone phone throne stone bone",
  "true blue clue due",
  "head bed dead red said fed instead spread",
  "end friend mind grind find behind ground sound",
  "still chill kill will bill skill spill",
  "city pity gritty dirty forty twenty empty",
].map(words);

export const SUBJECTS = words(
  "I've_been I'm we we_stay they_keep you_was she my_team all_my_dogs we_just I_keep they",
).map((s) => s.replaceAll("_", " "));
export const DETERMINERS = words("the my that these your a no all");
export const PREPOSITIONS = words(
  "in_the for_the on_the through_the like_the with_the til_the every all",
).map((p) => p.replaceAll("_", " "));
export const GLUE = words("got and still just never always really only");

/** Counted by the algorithmic analyzer's profanity_ratio. */
export const PROFANITY = words("fuck fuckin' shit damn hell bitch ass");
const PROFANE_INTERJECTIONS = words("shit damn hell");
const PROFANE_MODIFIERS = words("fuckin' damn");

export { PROFANE_INTERJECTIONS, PROFANE_MODIFIERS };

export const AD_LIBS = words("yeah uh ayy skrrt woo huh brr okay let's_go what").map((s) =>
  s.replaceAll("_", " "),
);

/** Lexicon of the simplified_features sentiment_score. */
export const POSITIVE_WORDS = new Set(
  words(`love sweet blessed proud grateful happy shinin' winnin' dreams beautiful free peaceful heaven grace
  lit golden rich blessings success true warm loyal strong holy divine lovin' healin' believin' precious`),
);
export const NEGATIVE_WORDS = new Set(
  words(`pain tears broke broken lost fake lies hatin' blood war cold lonely empty hurtin' cryin' dead deadly
  scars struggle jealous regrets rats snakes drama hungry tired numb violent ruthless unfair envy goodbye`),
);

export const TITLE_FIRST = words(`Midnight Golden Cold Broken Paper Concrete Silent Heavy Velvet Neon Crooked
  Hollow Savage Sacred Lonely Wicked Faded Burning Frozen Electric Restless Royal Dirty Perfect Hidden Lost
  Late Wild Bitter Crimson Diamond Rebel Young Hungry Fearless Jaded Southside Northside Eastside Westside
  Summer Winter Sunday Double Million Hundred Last First Real Pretty Brave Static Lucid Humble Glass Iron
  Purple Blue Quiet Early`);
export const TITLE_SECOND = words(`Dreams Crown Hustle Money Nights Streets Blues Heart Tears Throne Flow Pain
  Gold Glory Lights Ghosts Wolves Angels Demons Kings Chains Roses Bullets Diamonds Rain Smoke Fire Ice
  Mirrors Shadows Prayers Stories Letters Scars Wings Echoes Rivers Bridges Highways Sirens Satellites
  Thunder Lightning Waves Memories Promises Secrets Lies Truth Freedom Legacy Vision Motion Season Paradise
  Jungle Empire Kingdom Castle Garden Hunger Anthem Ritual Mission Thoughts Feelings Vibes Days Years
  Moments Blocks Corners Cities Souls Spirits Dollars Checks Bands Racks Engines Horizons Oceans`);
/** Title variants used only when an artist has more tracks than plain two-word titles. */
export const TITLE_SUFFIXES = ["", " Freestyle", " Interlude", " Pt. 2", " (Remix)"] as const;
export const ALBUM_PATTERNS = [
  "The {second}",
  "{first} {second}",
  "{first} Tape",
  "{second} Vol. 2",
  "{first}",
];

export const NAME_PREFIXES = [
  "",
  "Lil",
  "Young",
  "Big",
  "MC",
  "Yung",
  "Kid",
  "King",
  "Queen",
  "DJ",
  "Saint",
  "Baby",
];
export const NAME_SUFFIXES = ["", "Jr", "Tha Great", "Da Don", "Supreme"];
const NAME_HEADS = words(
  "Ka Ze Ro Mi Dre Tay Vo Lu Zo Ny Bo Ja Ki Ree Sa Mo Qua Te Xa Ri Da Fe Go Ha Jo Ko Ma Ne Pi Ve",
);
const NAME_TAILS = words("zo ny ro ck x lo vi ra nz dy mar von sh quez tez ko le mi no ri sa tu vo ze ja");
/** Invented stage-name cores: capitalized syllable pairs, unique. */
export const NAME_CORES = [...new Set(NAME_HEADS.flatMap((h) => NAME_TAILS.map((t) => h + t)))];
