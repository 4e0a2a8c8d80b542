"""The demo corpus's story bank: original writing for newsmon, fictional outlets, reporters and events.

Nothing here is publisher text. Recurring topics are written as a lead, a pool of body paragraphs and a closer;
`corpus.py` assembles each article from the lead, a rotating choice of pool paragraphs and the closer, so two
articles on one topic read as different stories. One-off stories (the summit week, the foreign-language pieces)
use every paragraph in order.

Placeholders in braces are filled per article: {weekday} (the day of publication), names from NAME_POOLS and
the topic's own `slots`. The tricky cases of MENTION_POLICY.md (US vs us,
Latin America, Washington state, South China Sea, Soviet era, "speaks fluent Russian", US$, Moscow, Idaho,
Republic of China, Russian roulette, Chinese whispers, fine china ...) occur in the stories where they would
naturally occur.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Topic:
    """A recurring subject; each use produces a differently assembled article."""

    key: str
    countries: tuple[str, ...]  # watched countries the story is really about (ground truth)
    datelines: tuple[str, ...]
    titles: tuple[str, ...]
    leads: tuple[str, ...]  # without the dateline; corpus.py adds it in the outlet's style
    pool: tuple[str, ...]
    closers: tuple[str, ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outlets: tuple[str, ...] = ()  # outlets that cover it (empty: any English outlet)
    fixed: bool = False  # one-off story: every pool paragraph, in order
    uses: int = 1  # how many articles the regular schedule makes of it (developing stories: 2)
    # relations between watched countries the story states, as (source, target, class) per RELATIONS_POLICY.md
    # (ground truth for the relation stories; empty: not asserted)
    relations: tuple[tuple[str, str, str], ...] = ()


# Fictional people quoted in the stories; picked per article so repeated topics quote different voices.
NAME_POOLS: dict[str, tuple[str, ...]] = {
    "analyst": (
        "Dana Okafor",
        "Martin Halvorsen",
        "Priya Raman",
        "Lukas Brenner",
        "Mei-Ling Tan",
        "Tomasz Wierzbicki",
        "Sofia Castellanos",
        "Henrik Aaltonen",
    ),
    "farmer": ("Dale Henning", "Ray Ostrander", "Curtis Lindgren", "Wes Albrecht"),
    "official": ("Eszter Varga", "Gabor Nemeth", "Zsofia Kertesz", "Andras Molnar"),
    "senator": ("Senator Ruth Calloway", "Senator James Petrakis", "Senator Alan Brightwater"),
    "biologist": ("Marissa Joe", "Tom Whitecloud", "Elena Strand"),
    "curator": ("Ingrid Pichler", "Felix Auer", "Helene Strasser"),
    "astronaut": ("Karen Holloway", "Jessica Amari", "Linda Paquette"),
    "historian": ("Ruta Kazlauskiene", "Jonas Petrauskas", "Egle Vaitkute"),
}

TOPICS: tuple[Topic, ...] = (
    Topic(
        key="arctic-shipping",
        countries=("CN", "RU"),
        datelines=("MURMANSK", "ARKHANGELSK", "SHANGHAI"),
        titles=(
            "Cargo on Arctic sea route climbs as Chinese shippers return",
            "Russia and China expand Arctic shipping in a short ice-free season",
            "Chinese container lines book more voyages on Russia's northern route",
        ),
        leads=(
            "Chinese shipping companies have booked {voyages} voyages along Russia's Northern Sea Route this "
            "season, port officials said on {weekday}, as Moscow and Beijing push to turn the Arctic passage "
            "into a regular trade lane between Asia and Europe.",
            "Cargo moving between China and Russia through the Arctic rose by {pct} percent this year, according "
            "to figures released on {weekday} by the Russian agency that manages the Northern Sea Route.",
        ),
        pool=(
            "The route cuts roughly ten days off a voyage from Shanghai to Rotterdam compared with the Suez "
            "Canal, but it is open to ordinary cargo ships for only a few months each year, and most vessels "
            "still need an icebreaker escort for part of the way.",
            "Russian officials have said they want year-round navigation by the end of the decade. That would "
            "require a new generation of nuclear-powered icebreakers, several of which are being built at a "
            "Soviet-era shipyard in St Petersburg.",
            "Insurers remain cautious. An underwriter in London said premiums for Arctic transits were still "
            "roughly twice those for the southern route, reflecting the distance from rescue services and the "
            "lack of detailed charts for some coastal waters.",
            "For Chinese exporters the attraction is partly political. Shipping through Russian waters keeps "
            "cargo away from sea lanes patrolled by the United States Navy, an argument that has gained weight "
            "in Beijing as trade frictions with Washington have grown.",
            "Environmental groups have criticised the expansion. A researcher at a Norwegian institute said fuel "
            "oil spilled in ice-covered water was almost impossible to clean up, and that the region's fishing "
            "communities would bear the risk.",
            "Most of the cargo heading east is crude oil, liquefied natural gas and coal. Ships sailing west "
            "carry mainly machinery, car parts and consumer electronics made in southern China.",
            "Port operators in Murmansk say they have added berths and cranes to handle the extra traffic, "
            "and a new rail spur now links the container terminal to the main line south, cutting the time "
            "goods wait on the quay.",
            "Chinese shipbuilders have started to take orders for ice-class container ships, vessels with "
            "reinforced hulls that can push through thin ice without an escort. Several are due to be "
            "delivered within two years.",
            "Captains who have made the passage describe long stretches of fog, sudden ice fields and radio "
            "silence. One master said his crew had seen more polar bears than other ships on the voyage.",
        ),
        closers=(
            "The shipping season on the route usually closes in late November, when ice begins to thicken along "
            "the Siberian coast.",
            "Port officials said they expected the last convoy of the season to leave within the next two weeks.",
        ),
        slots={"voyages": ("34", "41", "47", "52"), "pct": ("18", "23", "27", "31")},
        outlets=("meridian-wire", "steppe-courier", "pacific-sentinel", "eastern-lantern", "harbor-ledger"),
        uses=2,
    ),
    Topic(
        key="trade-talks",
        countries=("CN", "US"),
        datelines=("GENEVA", "WASHINGTON"),
        titles=(
            "US and Chinese negotiators end tariff talks without a deal",
            "Washington and Beijing agree to keep talking as tariff deadline nears",
            "China and the United States narrow differences on farm and chip tariffs",
        ),
        leads=(
            "Trade negotiators from the United States and China ended {days} days of talks on {weekday} without "
            "agreeing to roll back tariffs, but both sides said they would meet again before the end of the month.",
            'Chinese and American officials said on {weekday} that they had made "constructive progress" on '
            "tariffs covering roughly US${bn} billion of goods, though neither side published details of what had "
            "been agreed.",
        ),
        pool=(
            "The talks centred on duties that each side imposed on the other's goods over the past two years, "
            "covering everything from soybeans and pork to electric vehicle batteries and medical equipment.",
            "A spokesperson for the US Trade Representative said the American delegation had pressed for faster "
            "approval of licences for US agricultural exporters. China's commerce ministry said it had raised "
            "what it called discriminatory export controls on technology.",
            'Business groups on both sides welcomed the resumption of dialogue. "None of us expected a '
            'breakthrough this week," said {analyst}, who advises manufacturers with plants in both countries. '
            '"What matters is that the channel stays open."',
            "Exporters in Latin America have watched the talks closely. Brazil and Argentina have sold record "
            "volumes of soybeans to Chinese buyers since the tariffs took effect, and a truce could erode that "
            "advantage.",
            "Economists estimate that the tariffs have cost American households several hundred dollars a year "
            "in higher prices, while Chinese factories have moved part of their production to Vietnam, Mexico "
            "and Malaysia to avoid them.",
            "Markets reacted calmly. The yuan was little changed against the dollar, and stock indexes in "
            "Shanghai and New York closed slightly higher.",
            "The American delegation was led by a deputy trade representative, while the Chinese side was "
            "headed by a vice minister of commerce who has taken part in every round of talks since the "
            "tariffs were imposed.",
            "Officials said the discussions had covered purchases of American farm goods and aircraft, "
            "market access for financial firms, and rules on the transfer of technology by companies that "
            "operate in both countries.",
            "Shipping companies said cargo bookings across the Pacific had already started to pick up in "
            "anticipation of lower duties, with retailers ordering early for the spring season.",
        ),
        closers=(
            "No date has been set for the next round, which officials said could take place in Beijing.",
            "Officials said working groups would continue talks by video link in the coming weeks.",
        ),
        slots={"days": ("two", "three"), "bn": ("180", "210", "240")},
        outlets=("meridian-wire", "harbor-ledger", "capital-dispatch", "pacific-sentinel", "eastern-lantern"),
        uses=2,
    ),
    Topic(
        key="chip-controls",
        countries=("CN", "US"),
        datelines=("WASHINGTON", "SHENZHEN"),
        titles=(
            "New US chip rules tighten limits on sales to Chinese firms",
            "Chinese chipmakers race to fill the gap left by American export curbs",
            "Washington widens export controls on advanced chipmaking tools",
        ),
        leads=(
            "The US Commerce Department on {weekday} widened its restrictions on sales of advanced chipmaking "
            "equipment to China, adding {n} Chinese companies to a list of firms that need a licence to buy "
            "American technology.",
            "Chinese semiconductor companies have stepped up hiring and spending on domestic equipment, "
            "executives said on {weekday}, as tighter export controls from Washington cut them off from some of "
            "the most advanced tools.",
        ),
        pool=(
            "The rules cover machines used to etch and deposit the ultra-thin layers of material that make up "
            "modern processors, as well as software used to design chips.",
            "China's foreign ministry said the measures were an abuse of export controls and that Beijing would "
            'take "necessary measures" to protect the interests of Chinese companies. It gave no details.',
            "Equipment makers expect a hit to sales. One supplier with a large plant in Washington state told "
            "investors last month that customers in China accounted for about a fifth of its revenue.",
            'Analysts say the controls have slowed Chinese progress without stopping it. "They are buying time, '
            'not a permanent lead," said {analyst}, a semiconductor analyst in Singapore.',
            "Researchers at the University of Washington estimated this year that a chip crosses national "
            "borders dozens of times, between design, fabrication, testing and packaging, before it reaches a "
            "customer.",
            "Governments in Japan and the Netherlands, home to other major toolmakers, have introduced similar "
            "rules, though officials there say they make their own decisions about what to restrict.",
            "Officials in Washington said the rules were aimed at stopping the Chinese military from using "
            "advanced chips to develop weapons and surveillance systems, rather than at holding back China's"
            " economy as a whole.",
            "Shares in Chinese equipment makers rose in Shanghai as investors bet that local customers would"
            " turn to them. Domestic toolmakers have won a growing share of orders from Chinese chip "
            "factories over the past three years.",
            "Smaller suppliers said the cost of complying with the rules fell heavily on them. Checking the "
            "end users of every shipment requires lawyers and software that large firms can afford more "
            "easily.",
        ),
        closers=(
            "The new rules take effect in thirty days. Companies that already hold licences will be allowed to "
            "complete existing orders.",
            "Industry groups said they would ask for clarification of several technical definitions in the rules.",
        ),
        slots={"n": ("14", "19", "23")},
        outlets=("meridian-wire", "harbor-ledger", "capital-dispatch", "pacific-sentinel"),
        uses=2,
    ),
    Topic(
        key="idaho-farmers",
        countries=("CN", "US"),
        datelines=("MOSCOW, Idaho",),
        titles=(
            "Idaho growers count the cost of lost Chinese orders",
            "On the Palouse, farmers look beyond China as the export slump drags on",
        ),
        leads=(
            "Wheat and lentil growers around this college town on the Palouse say orders from Chinese buyers "
            "have fallen by almost half this year, one of the sharpest drops for any American farm region, "
            "leaving grain elevators fuller than usual as winter approaches.",
            "When {farmer} took over his family's land outside Moscow, Idaho, China was a distant market he "
            "rarely thought about. Today, as for thousands of farmers across the United States, it decides "
            "whether he turns a profit.",
        ),
        pool=(
            "Agricultural exports from the United States to China fell {pct} percent in the first nine months "
            "of the year, according to government figures, as Beijing bought more from Brazil, Argentina and "
            "Australia.",
            "Local officials say the slump is felt well beyond the farms. Equipment dealers, truckers and the "
            "shops on Main Street all depend on the harvest, and several have cut hours this autumn.",
            "The University of Idaho, whose campus sits at the centre of town, runs an extension service that "
            "has been helping growers find buyers in Southeast Asia and the Middle East.",
            '"Give us a fair shot and we can compete with anybody," said {farmer}, standing beside a grain bin '
            'on the edge of his property. "But we can\'t compete with politics."',
            "Some growers have switched to crops for domestic buyers, such as chickpeas for food manufacturers "
            "in Washington state and Oregon, though the prices are lower and the contracts shorter.",
            "Federal aid has softened the blow. Farmers in the region received payments under a program that "
            "Congress renewed this year, but many said they would rather have their old customers back.",
            "Lentils and dry peas have been grown on the rolling hills of the Palouse for generations, and "
            "much of the crop has traditionally been shipped through ports on the Columbia River to buyers "
            "in Asia.",
            "At the cooperative elevator outside town, the manager said bins that would normally be half "
            "empty by now were still close to full. Storage costs money, and prices have not risen enough to"
            " cover it.",
            "Younger farmers have started to sell directly to food processors and restaurants in the region,"
            " an approach that brings higher prices per bushel but only for small quantities.",
        ),
        closers=(
            "The next test comes in the spring, when growers decide what to plant without knowing where it "
            "will be sold.",
        ),
        slots={"pct": ("22", "26", "29")},
        outlets=("harbor-ledger", "capital-dispatch", "meridian-wire"),
    ),
    Topic(
        key="arms-control",
        countries=("RU", "US"),
        datelines=("GENEVA",),
        titles=(
            "Russian and US diplomats hold first arms control talks in over a year",
            "Moscow and Washington discuss missile limits in Geneva",
            "US and Russia agree to keep an arms control channel open",
        ),
        leads=(
            "Diplomats from Russia and the United States met in Geneva on {weekday} for their first formal "
            "discussion of nuclear arms limits in more than a year, according to officials from both countries.",
            "Senior Russian and American officials ended two days of talks on strategic stability on {weekday}, "
            "agreeing to set up expert groups on missile launch notifications and data exchange.",
        ),
        pool=(
            "The last treaty limiting the two countries' deployed strategic warheads expired in February, "
            "leaving the world's two largest nuclear arsenals without legally binding caps for the first time "
            "in half a century.",
            "The State Department said the American side had raised the need for transparency measures to avoid "
            'accidents and misunderstandings. The Russian foreign ministry described the meeting as "businesslike".',
            'Arms control specialists said expectations were low. "That they are in the same room matters more '
            'than anything that comes out of it this week," said {analyst}, a former negotiator who now teaches '
            "in Vienna.",
            "Many of the verification procedures the two sides once relied on date from the Soviet era, when "
            "inspectors from each country were stationed outside missile factories of the other.",
            "China, which has been expanding its own arsenal, has declined invitations to join three-way talks, "
            "saying its forces remain far smaller than those of the other two powers.",
            "The talks were held at a lakeside villa provided by the Swiss government, which has hosted several "
            "rounds of negotiations between the two countries since the end of the Cold War.",
            "Both governments have said they will stay within the old treaty's limits for now, but without "
            "inspections neither side can confirm that the other is doing so.",
            "The American delegation included officials from the Pentagon and the Department of Energy, "
            "which is responsible for the country's nuclear warheads. Russian defence ministry officials sat"
            " on the other side of the table.",
            "European governments, which would be in range of many of the weapons under discussion, have "
            "urged both sides to agree at least on advance notice of missile tests.",
        ),
        closers=("Neither side said when the expert groups would first meet.",),
        outlets=("meridian-wire", "capital-dispatch", "danube-daily", "steppe-courier", "harbor-ledger"),
        uses=2,
    ),
    Topic(
        key="space-crew",
        countries=("RU", "US"),
        datelines=("HOUSTON",),
        titles=(
            "Russian cosmonaut and NASA crew prepare for joint station mission",
            "Space cooperation survives as US and Russian crews train together",
        ),
        leads=(
            "A Russian cosmonaut and two NASA astronauts began their final weeks of training on {weekday} for "
            "a six-month mission aboard the International Space Station, one of the last areas where Moscow "
            "and Washington still work closely together.",
        ),
        pool=(
            "The crew will launch from the Baikonur Cosmodrome in Kazakhstan on a Soyuz rocket, under a "
            "seat-swap arrangement that lets American astronauts fly on Russian spacecraft and cosmonauts ride "
            "on US commercial capsules.",
            "Mission commander {astronaut}, who speaks fluent Russian after years of training at Star City, "
            'said the crew had grown close. "Up there, none of us spends much time on the news from the '
            'ground," she said.',
            "The station is due to be retired around the end of the decade. NASA has contracted private "
            "companies to build replacement outposts, while Russia has announced plans for a national station "
            "of its own.",
            "Relations between the two space agencies have weathered years of political tension, including "
            "sanctions that cut off Russian access to some Western components.",
            "Engineers say the station's Russian and American segments depend on each other: the Russian side "
            "provides the thrust that keeps the station in orbit, while the US side supplies most of the power.",
            "The crew has spent the past year moving between training centres in Texas, Germany and Russia, "
            "practising spacewalks in a giant pool and learning to operate the station's robotic arm.",
            "Among the experiments planned for the mission are studies of how muscles and bones waste in "
            "weightlessness, tests of a new water recycling system, and the growth of crystals used in drug "
            "research.",
            "Families of the crew will travel to Kazakhstan for the launch. By tradition, the crew will sign"
            " the door of their hotel room and watch a classic film on the night before lift-off.",
        ),
        closers=("Launch is scheduled for early next month, weather permitting.",),
        outlets=("meridian-wire", "harbor-ledger", "steppe-courier"),
    ),
    Topic(
        key="grain-exports",
        countries=("RU",),
        datelines=("NOVOROSSIYSK", "MOSCOW"),
        titles=(
            "Russian wheat exports reach seasonal high as Black Sea shipments surge",
            "Russia's grain harvest beats forecasts, lifting the export outlook",
        ),
        leads=(
            "Russia exported {mt} million tonnes of wheat last month, the highest monthly total this season, as "
            "shipments from Black Sea ports picked up after a slow start, analysts said on {weekday}.",
            "Russian farmers have brought in a larger grain harvest than the government expected, the "
            "agriculture ministry said on {weekday}, raising its export forecast for the season to {mt2} million "
            "tonnes.",
        ),
        pool=(
            "Most of the grain went to Egypt, Turkey and Algeria, traditionally the largest buyers of Russian "
            "wheat, while sales to Saudi Arabia and Bangladesh also rose.",
            "The agriculture ministry in Moscow raised its harvest estimate after dry weather in the south proved "
            "less damaging than feared. Farms in Siberia and the Volga region reported higher yields than last "
            "year.",
            "Traders said prices for Black Sea wheat had slipped by several dollars a tonne over the past "
            "fortnight, putting pressure on exporters in the European Union.",
            "Russia introduced a floating export tax on grain several years ago to keep bread prices at home in "
            "check. Farmers' associations say the tax has cut their margins and discouraged investment.",
            "Much of the grain leaves through Novorossiysk, a port whose terminals were built in the Soviet era "
            "and have been modernised with domestic and Gulf investment since.",
            "Exporters said freight rates for ships carrying grain out of the Black Sea had fallen since the"
            " summer, making Russian wheat more competitive in North Africa and the Middle East.",
            "The harvest in the south was brought in earlier than usual because of a warm, dry autumn, "
            "allowing farmers to plant winter crops in good conditions.",
            "Some regions reported problems with grain quality after heavy rain in late summer, and a larger"
            " share of the wheat than usual will be sold as animal feed.",
            "Russia's share of the world wheat market has grown steadily over the past decade as farms "
            "consolidated and invested in machinery, storage and fertiliser.",
        ),
        closers=(
            "Analysts expect shipments to slow in the new year as winter storms reduce loading rates at the ports.",
        ),
        slots={"mt": ("5.1", "5.4", "5.8"), "mt2": ("44", "46", "47")},
        outlets=("meridian-wire", "steppe-courier", "danube-daily", "pacific-sentinel"),
        uses=2,
    ),
    Topic(
        key="bank-of-russia",
        countries=("RU",),
        datelines=("MOSCOW",),
        titles=(
            "Bank of Russia holds its key rate as inflation eases",
            "Russian central bank signals rate cuts could come next year",
        ),
        leads=(
            "The Bank of Russia left its key interest rate unchanged at {rate} percent on {weekday}, saying "
            "inflation was slowing but remained well above its target.",
        ),
        pool=(
            "Consumer prices rose {infl} percent from a year earlier last month, down from a peak earlier in the "
            "year, according to the state statistics service.",
            "Businesses have complained that high borrowing costs are choking investment. Several Russian "
            "industrial groups have postponed projects, and a survey of manufacturers showed new orders falling "
            "for a third month in a row.",
            "The ruble was steady after the decision. It has strengthened this autumn as exporters converted "
            "foreign currency earnings ahead of tax payments.",
            "Economists at a Moscow investment bank said the central bank was likely to begin cutting rates in "
            "the first quarter, provided government spending does not rise sharply in the new budget.",
            "The governor told a news conference that the labour market remained tight, with unemployment near "
            "record lows, and that wages were still rising faster than productivity.",
            "The decision was in line with the expectations of most analysts surveyed by financial news "
            "agencies before the meeting.",
            "The central bank raised rates sharply over the past two years to cool an economy running hot on"
            " military spending and a shortage of workers. Inflation has slowed since the summer.",
            "Retailers have reported weaker demand for cars and household appliances as consumer credit "
            "became more expensive, while mortgage lending outside state subsidy programmes has almost "
            "stopped.",
            "The finance ministry has said it will keep the budget deficit small next year, a promise the "
            "central bank has said it will watch closely when deciding on rate cuts.",
        ),
        closers=("The bank's next rate meeting is scheduled for mid-December.",),
        slots={"rate": ("16.5", "16", "15.5"), "infl": ("6.8", "7.1", "7.4")},
        outlets=("meridian-wire", "steppe-courier", "danube-daily"),
    ),
    Topic(
        key="shoal-standoff",
        countries=("CN",),
        datelines=("MANILA",),
        titles=(
            "Manila protests after Chinese coast guard fires water cannon at supply boat",
            "Second water cannon clash in weeks raises tension at disputed shoal",
        ),
        leads=(
            "The Philippines accused China's coast guard on {weekday} of firing water cannon at a government "
            "supply boat near a disputed shoal in the South China Sea, the latest in a series of confrontations "
            "in the waterway.",
            "A Chinese coast guard ship fired water cannon at a Philippine supply boat near a disputed shoal in "
            "the South China Sea on {weekday}, officials in Manila said, the second such confrontation this month.",
        ),
        pool=(
            "Beijing said the Philippine boat had entered Chinese waters without permission and that its coast "
            'guard had acted "professionally and with restraint" to expel it.',
            "The South China Sea carries a large share of the world's seaborne trade, and Vietnam, Malaysia and "
            "Brunei also have claims to some of its islands and reefs.",
            "An international tribunal ruled in 2016 that China's sweeping claims had no legal basis under the "
            "United Nations Convention on the Law of the Sea. Beijing has rejected the ruling.",
            "Fishermen from the western province of Palawan say they have been driven from traditional fishing "
            'grounds. "We used to stay out for a week," said one boat captain. "Now we come back after two days."',
            "The United States, a treaty ally of the Philippines, said it stood with Manila and called on "
            "Beijing to stop what it described as dangerous manoeuvres.",
            "Video released by the Philippine coast guard showed a larger white vessel sailing alongside the"
            " supply boat and spraying it with water from a cannon mounted on its deck.",
            "The supply boat was carrying food, water and fuel to a small detachment of Philippine marines "
            "stationed on a grounded navy ship that serves as an outpost on the shoal.",
            "Diplomats from both countries have met several times this year to try to manage the tension, "
            "and they agreed in the summer on arrangements meant to prevent incidents at sea.",
            "Analysts in Manila said the incidents had strengthened public support for closer defence ties "
            "with Japan, Australia and other countries in the region.",
        ),
        closers=("No injuries were reported in the incident, according to the Philippine coast guard.",),
        outlets=("pacific-sentinel", "meridian-wire", "harbor-ledger", "eastern-lantern"),
        uses=2,
    ),
    Topic(
        key="china-economy",
        countries=("CN",),
        datelines=("BEIJING",),
        titles=(
            "China's factory output beats forecasts as export orders recover",
            "Chinese retail sales slow, adding pressure for fresh stimulus",
        ),
        leads=(
            "China's industrial output grew {pct} percent last month from a year earlier, official data showed "
            "on {weekday}, a faster pace than economists had forecast, while growth in retail sales slowed.",
        ),
        pool=(
            "The National Bureau of Statistics said production of electric vehicles, solar cells and industrial "
            "robots rose by double digits, while output of cement and steel fell as the property slump dragged on.",
            "Consumer spending remains the weak spot. Economists said households were still cautious after years "
            "of falling home prices, which account for most of the wealth of Chinese families.",
            "The figures add to pressure on Beijing to do more for consumers. The government has expanded "
            "trade-in subsidies for cars and household appliances, and some economists expect further measures "
            "at an annual policy meeting next month.",
            "Exports have held up better than expected despite higher tariffs in the United States, as Chinese "
            "manufacturers found buyers in Southeast Asia, Africa and the Middle East.",
            "Property investment fell {pct2} percent so far this year, extending a decline that began when "
            "regulators clamped down on borrowing by developers.",
            "Economists had expected growth in industrial output to slow slightly after a strong showing the"
            " month before, when factories rushed to complete export orders.",
            "Unemployment in cities was little changed, though joblessness among young people remains high, "
            "and many graduates have turned to gig work or further study.",
            "Local governments, which rely heavily on land sales for revenue, have cut spending as "
            "developers stopped buying land, adding to the drag on growth.",
            "Officials at the statistics bureau said the economy was on track to meet the government's "
            "growth target for the year, while warning of uncertainty in the global economy.",
        ),
        closers=("Stock markets in Shanghai and Shenzhen closed little changed after the data.",),
        slots={"pct": ("5.2", "5.6", "6.1"), "pct2": ("9.8", "10.3", "11.1")},
        outlets=("meridian-wire", "eastern-lantern", "pacific-sentinel", "harbor-ledger"),
    ),
    Topic(
        key="lithium",
        countries=("CN",),
        datelines=("SANTIAGO", "BUENOS AIRES"),
        titles=(
            "Chinese investment in Latin American lithium faces new scrutiny",
            "Chile and Argentina weigh Chinese bids for lithium projects",
        ),
        leads=(
            "Chinese companies have agreed to invest about US${bn} billion in lithium projects in Latin America "
            "this year, according to a report published on {weekday}, but governments in the region are "
            "starting to attach more conditions to the deals.",
        ),
        pool=(
            "Chile, Argentina and Bolivia hold more than half of the world's known lithium reserves, much of it "
            "in salt flats high in the Andes.",
            "Officials in Santiago want foreign investors to process more of the metal locally rather than "
            "shipping raw concentrate to refineries in China.",
            "Indigenous communities near the salt flats have raised concerns about water use, saying that "
            "evaporation ponds draw down aquifers that farmers and herders depend on.",
            'Latin Americans have long argued over how to turn commodity booms into lasting development. "We '
            'exported copper for a century and stayed poor," said {analyst}, an economist in Santiago.',
            "Companies from South Korea, Australia and North America are also bidding for stakes, giving "
            "governments more choice than they had a decade ago.",
            "Prices for lithium have fallen sharply from a peak two years ago, as new mines opened faster "
            "than demand for electric vehicle batteries grew, squeezing the profits of producers around the "
            "world.",
            "Chinese companies already own stakes in several of the largest projects in Argentina, where "
            "provincial governments control mining rights and have been eager for investment.",
            "Bolivia, which has the largest reserves of the three countries, has struggled to develop them, "
            "after years of failed attempts to build an industry under state control.",
            "Carmakers in Europe and Japan have also signed supply agreements in the region, hoping to "
            "secure the metal for the batteries they plan to build over the next decade.",
        ),
        closers=(
            "Chile's government is expected to announce the winners of two new licences early next year.",
        ),
        slots={"bn": ("4.2", "5.5", "6.3")},
        outlets=("meridian-wire", "pacific-sentinel", "harbor-ledger"),
    ),
    Topic(
        key="budget-standoff",
        countries=("US",),
        datelines=("WASHINGTON",),
        titles=(
            "Congress races to avoid a shutdown as spending talks stall",
            "Spending talks drag on as the shutdown deadline draws closer",
        ),
        leads=(
            "Congressional leaders said on {weekday} they were still far apart on a spending bill to keep the "
            "US government funded past the end of the month, raising the prospect of a partial shutdown.",
            "Congressional negotiators traded new offers on {weekday} but remained divided over spending levels, "
            "with a deadline to keep the US government funded now less than two weeks away.",
        ),
        pool=(
            "The main disputes involve defence, border security and disaster relief. Lawmakers from Western "
            "states want more money for wildfire prevention after a destructive season in California, Oregon "
            "and Washington state.",
            "The White House has said the president would sign a short-term extension if one reaches his desk, "
            "buying time for negotiators to finish a full-year bill.",
            '"Nobody sent us here to close the government," said {senator}, a member of the appropriations '
            'committee. "Let us do our jobs and finish this."',
            "A shutdown would send hundreds of thousands of federal employees home without pay and delay some "
            "services, though programs such as Social Security would continue.",
            "Americans have grown used to the brinkmanship. The federal government has shut down several times "
            "since the 1990s, each time over disputes about spending.",
            "Negotiators met behind closed doors for several hours on {weekday} but left without announcing "
            "any progress. Aides said the two sides were still trading proposals on the overall level of "
            "spending.",
            "The disagreement is not only between the parties. A group of lawmakers in the majority has said"
            " it will vote against any bill that does not include deeper cuts than the leadership has "
            "proposed.",
            "Federal agencies have begun preparing contingency plans, which set out which employees would "
            "keep working and which would be sent home if funding lapses.",
            "Markets have so far taken the standoff in their stride, though analysts said a long shutdown "
            "would delay the publication of economic data that investors rely on.",
        ),
        closers=("The House is expected to vote on a stopgap measure early next week.",),
        outlets=("capital-dispatch", "harbor-ledger", "meridian-wire"),
        uses=2,
    ),
    Topic(
        key="salmon-return",
        countries=("US",),
        datelines=("OLYMPIA, Washington",),
        titles=(
            "Salmon return in record numbers to a river freed of its dams",
            "A decade after the dams came down, a Washington state river teems with fish",
        ),
        leads=(
            "Salmon have returned in record numbers to a river in Washington state where two dams were removed "
            "more than a decade ago in the largest dam removal in US history, biologists said on {weekday}.",
        ),
        pool=(
            "Counts by tribal and state biologists found more than {n} chinook and coho spawning in stretches of "
            "river that had been blocked for a century.",
            "Researchers at the University of Washington, who have tracked sediment in the river since the dams "
            "came down, said the riverbed had settled faster than their models predicted.",
            "The project has become a model for other dam removals in the Pacific Northwest, though each case "
            "brings its own arguments over electricity, irrigation and flood control.",
            '"It took us a long time to get here," said {biologist}, a fisheries biologist with the tribe. '
            '"The fish came back faster than anyone expected."',
            "Federal agencies paid most of the cost of the removal, and the US Fish and Wildlife Service has "
            "listed several of the river's salmon runs as a conservation priority.",
            "The river once supported one of the largest salmon runs in the region, but the dams, built in "
            "the early twentieth century to power a mill and a growing town, cut the fish off from most of "
            "their spawning grounds.",
            "Tribal members say the return of the salmon has revived traditions that had nearly disappeared,"
            " including ceremonies that mark the first fish of the season.",
            "Scientists are also tracking the effect on the wider ecosystem. Bears, eagles and otters have "
            "become more common along the river, and nutrients from dead salmon are feeding the forest on "
            "its banks.",
            "Not every species has recovered at the same pace. Biologists said a run of chum salmon remained"
            " small and could take decades to rebuild.",
        ),
        closers=(
            "Biologists will continue the counts through the winter, when steelhead begin their own return.",
        ),
        slots={"n": ("8,000", "9,500", "11,200")},
        outlets=("harbor-ledger", "capital-dispatch", "pacific-sentinel"),
    ),
    Topic(
        key="porcelain-museum",
        countries=(),
        datelines=("VIENNA",),
        titles=(
            "Vienna museum reopens its porcelain galleries after a five-year restoration",
            "Fine china and faded glory: a porcelain collection returns to view",
        ),
        leads=(
            "A museum in Vienna reopened its porcelain galleries on {weekday} after a five-year restoration, "
            "putting more than {n} pieces of tableware, figurines and fine china back on public display.",
        ),
        pool=(
            "The collection includes dinner services made for imperial banquets, a set of bone china from an "
            "English factory that once supplied royal households, and a row of coffee cups painted with Alpine "
            "views.",
            "Conservators spent months repairing pieces damaged when a shelf collapsed during building work in "
            "the 1970s. Some cups had been broken into more than forty fragments.",
            '"People think of china as something you keep in a cabinet and never touch," said the curator, '
            '{curator}. "We want visitors to see how it was used, at real tables with real food."',
            "The galleries now include a recreated dining room where visitors can see how a formal table was "
            "laid in the nineteenth century, down to the salt cellars and finger bowls.",
            "The museum expects the reopening to lift visitor numbers, which fell sharply during the years the "
            "galleries were closed.",
            "The restoration cost about 14 million euros, shared between the federal government, the city "
            "and private donors. Workers replaced the heating and lighting and installed climate controls to"
            " protect the most fragile pieces.",
            "A new gallery on the ground floor explains how porcelain is made, from the mixing of clay to "
            "the firing of the kiln, with a working studio where visitors can watch painters at work.",
            "Among the highlights is a table centrepiece more than two metres long, made for a state dinner "
            "in the 1830s, which had been kept in storage for decades because it was too fragile to move.",
            "The museum has also commissioned contemporary artists to make new pieces in response to the "
            "collection, which are displayed alongside the historic tableware.",
        ),
        closers=(
            "Tickets for the first month are sold out, the museum said, so it will add late openings on Thursdays.",
        ),
        slots={"n": ("2,400", "3,100")},
        outlets=("danube-daily", "meridian-wire"),
    ),
    Topic(
        key="danube-flood",
        countries=(),
        datelines=("BUDAPEST", "BRATISLAVA"),
        titles=(
            "Danube rises after days of heavy rain, closing riverside roads",
            "River cruises halted as the Danube floods low-lying quays",
        ),
        leads=(
            "The Danube rose to its highest level in {years} years on {weekday}, flooding the lower quays and "
            "forcing the authorities to close riverside roads after days of heavy rain across Austria and Slovakia.",
        ),
        pool=(
            "Firefighters and volunteers filled sandbags along the river in several towns upstream, and the "
            "authorities in Slovakia ordered the evacuation of a handful of villages.",
            "River cruise companies cancelled sailings for the rest of the week. Passengers were taken by coach "
            "to hotels while their ships waited out the high water at moorings downstream.",
            "Hydrologists said the flood was expected to peak overnight and pass through southern Hungary over "
            "the weekend.",
            "Climate scientists have warned that intense rain in central Europe is becoming more frequent. Two of "
            "the largest floods on the upper Danube in the past century came within the last twenty-five years.",
            '"We have done this before, and we know the drill," said {official}, a municipal official overseeing '
            'the defences on Margaret Island. "The river always wins in the end, so we plan for it."',
            "In Vienna, the authorities opened flood gates that divert water into a relief channel, a system"
            " built after a devastating flood in the nineteenth century that has protected the city ever "
            "since.",
            "Farmers in low-lying areas moved livestock to higher ground, and several roads and railway "
            "lines were closed because of landslides caused by the rain.",
            "Insurance companies said it was too early to estimate the cost of the damage, but that claims "
            "were likely to be lower than after the last major flood because defences had been strengthened "
            "since.",
            "Weather forecasters said the rain would ease over the coming days, though more was expected in "
            "the mountains, which could send a second, smaller wave of water down the river.",
        ),
        closers=("Trams along the riverbank are expected to run again once the water recedes.",),
        slots={"years": ("eight", "eleven")},
        outlets=("danube-daily", "meridian-wire"),
    ),
    Topic(
        key="football",
        countries=(),
        datelines=("VIENNA", "SALZBURG"),
        titles=(
            "Late header sends the home side to the top of the table",
            "Late winner keeps the title race open",
        ),
        leads=(
            "A header in the {minute}th minute gave the home side a 2-1 win on {weekday} night and sent them to "
            "the top of the league for the first time this season.",
            "A goal in the {minute}th minute gave the home side a 2-1 win on {weekday} night, extending their "
            "unbeaten run to seven matches and keeping them top of the league.",
        ),
        pool=(
            "The visitors had led for most of the second half after a penalty, and their goalkeeper made a "
            "string of saves before the equaliser arrived from a corner with a quarter of an hour left.",
            "After the match the coach was asked about reports that his captain would leave in the winter "
            'transfer window. "This whole business is a game of Chinese whispers," he said. "He is our captain '
            'and he is staying."',
            "The win was watched by more than {crowd} spectators, the largest crowd at the stadium since it was "
            "renovated.",
            "The club's sporting director said the team had received no offers for its players and that "
            "contract talks would begin after the international break.",
            "It was a scrappy game for long stretches, played in driving rain on a heavy pitch, and both "
            "sides struggled to string passes together in the first half.",
            "The winning goal came from the club's 19-year-old defender, who rose highest at the far post to"
            " meet a cross from the left and scored his first goal for the first team.",
            "The visitors' coach complained that the referee had missed a foul in the build-up to the "
            "winner, but said his side had only themselves to blame for failing to kill off the game.",
            "The result leaves the home side one point clear of their city rivals, who drew away from home "
            "earlier in the day, with the winter break a month away.",
            "Supporters stayed in the stadium long after the final whistle, singing as the players completed"
            " a lap of honour in front of the home end.",
        ),
        closers=("The team travels to Graz next weekend.",),
        slots={"minute": ("87", "89", "90"), "crowd": ("21,000", "23,500")},
        outlets=("danube-daily",),
        uses=2,
    ),
    Topic(
        key="mortgage-rates",
        countries=(),
        datelines=("NEW YORK",),
        titles=(
            "Mortgage rates fall for a fourth week, but buyers stay cautious",
            "Cheaper mortgages fail to lure first-time buyers back",
        ),
        leads=(
            "Average mortgage rates fell for a fourth week in a row, data showed on {weekday}, though economists "
            "said high prices were keeping many first-time buyers on the sidelines.",
            "Mortgage rates edged down again this week, data showed on {weekday}, extending a decline that began "
            "in the autumn, but home sales remained weak as prices stayed near record highs.",
        ),
        pool=(
            'The average rate on a 30-year fixed loan fell to {rate} percent. "For a first-time buyer, timing '
            'this market is a game of Russian roulette," said {analyst}, an economist at a housing research firm.',
            "Analysts at Bank of America said in a note that they expected rates to drift lower in the new year "
            "if inflation keeps easing.",
            "Home sales across North America have slowed this year. Builders have offered discounts and paid "
            "part of buyers' closing costs to keep new homes moving.",
            "Rents, meanwhile, have levelled off in many large cities after a wave of new apartment buildings "
            "opened, giving would-be buyers less reason to hurry.",
            "Lower rates have prompted a wave of refinancing among homeowners who bought when borrowing "
            "costs were at their peak, lenders said, helping to lift their earnings after a lean year.",
            "Prices have continued to rise in most markets, though at a slower pace than a year ago. The "
            "shortage of homes for sale remains the main reason, as owners with cheap loans are reluctant to"
            " move.",
            "Real estate agents said the market had become more balanced, with buyers able to negotiate on "
            "price for the first time in several years and sellers more willing to pay for repairs.",
            "Economists said a further decline in rates would depend on the central bank, which has "
            "signalled that it is in no hurry to cut interest rates again.",
            "First-time buyers now account for a smaller share of sales than at any time in more than a "
            "decade, according to an industry survey published this month.",
        ),
        closers=("Economists will watch next week's inflation report for signs of further relief.",),
        slots={"rate": ("6.12", "6.05", "5.98")},
        outlets=("harbor-ledger", "capital-dispatch"),
        uses=2,
    ),
    Topic(
        key="taiwan-chips",
        countries=(),
        datelines=("TAIPEI",),
        titles=(
            "Taiwan chipmaker raises outlook on strong demand for AI processors",
            "Taiwan chip bellwether lifts its forecast as AI spending booms",
        ),
        leads=(
            "Taiwan's largest contract chipmaker raised its revenue forecast for the year on {weekday}, citing "
            "strong demand for processors used in artificial intelligence data centres.",
        ),
        pool=(
            "The company's shares rose {pct} percent in Taipei. Its results are closely watched as a gauge of "
            "demand across the technology industry.",
            "Executives said a new plant in Arizona was running ahead of schedule and that a second factory in "
            "Japan would begin production next year.",
            "The Republic of China, as Taiwan is officially known, has made semiconductors the centrepiece of "
            "its economy, and chips account for a large share of its exports.",
            "In Hong Kong, the Hang Seng index rose for a third day, led by property developers and technology "
            "stocks, as investors bet on lower interest rates.",
            "The company said its most advanced production lines were fully booked for next year and that it"
            " would raise capital spending to expand capacity for the newest generation of chips.",
            "Analysts said the results eased concerns that spending on artificial intelligence would slow, "
            "after some technology companies signalled that they would be more careful with investment next "
            "year.",
            "The company's customers include most of the world's largest designers of smartphone and "
            "computer chips, which rely on it to manufacture processors they cannot make themselves.",
            "The island's government has said it will keep the most advanced manufacturing at home, even as "
            "the company builds factories abroad at the request of customers and foreign governments.",
            "Electricity supply remains a concern. Chip factories consume large amounts of power and water, "
            "and the company has signed long-term contracts for wind and solar energy.",
        ),
        closers=("The company will report full-year results in January.",),
        slots={"pct": ("3.4", "4.1")},
        outlets=("pacific-sentinel", "meridian-wire"),
    ),
    Topic(
        key="soviet-archive",
        countries=(),
        datelines=("VILNIUS",),
        titles=(
            "Lithuania opens Soviet-era secret police files to researchers",
            "Historians comb newly opened archive on life under the USSR",
        ),
        leads=(
            "Lithuania's national archive on {weekday} opened thousands of previously restricted files from the "
            "Soviet era, including surveillance reports on writers, priests and university students.",
        ),
        pool=(
            "The documents were left behind when the security service of the Soviet Union withdrew in 1991. Some "
            "had been stored in damp basements and needed years of conservation work.",
            "The historian {historian}, who speaks fluent Russian and has spent a decade reading the files, said "
            "they showed how ordinary the machinery of surveillance had become by the 1970s.",
            "Families of people named in the reports will be able to request copies. Archivists said they had "
            "blacked out the names of informers who are still alive, following a court ruling last year.",
            "The files are written mostly in Russian, the administrative language of the USSR, with some "
            "handwritten notes in Lithuanian.",
            "The opening follows years of debate about whether the files should be made public. Some "
            "politicians warned that they could be used to settle scores, while historians argued that "
            "society had a right to know.",
            "Among the most requested documents are reports on the underground publications that circulated "
            "in the 1970s and 1980s, when typed copies of banned texts were passed from hand to hand.",
            "Similar archives have been opened in Estonia and Latvia, and researchers from the three Baltic "
            "states have begun to compare how the surveillance system worked in each of them.",
            "Archivists said they had digitised about a fifth of the collection so far and hoped to finish "
            "within five years, subject to funding from the government and the European Union.",
            "The first researchers to use the reading room included a novelist who is writing a book about "
            "her grandfather, a schoolteacher who was watched by informers for more than a decade.",
        ),
        closers=("The archive's reading room will open to the public in January.",),
        outlets=("danube-daily", "meridian-wire"),
    ),
    Topic(
        key="cocktail-bars",
        countries=(),
        datelines=("BUDAPEST",),
        titles=(
            "Budapest's bartenders bring back the classics",
            "Copper mugs and old recipes: the return of the grand cocktail bar",
        ),
        leads=(
            "A new generation of bars in Budapest is reviving the cocktails of the last century, from the "
            "martini to the gimlet, and finding that drinkers want them made the old way.",
        ),
        pool=(
            "At one bar near the opera house, the best seller is a Moscow mule served in a hammered copper mug, "
            "made with ginger beer brewed on the premises.",
            "The kitchen serves small plates to go with the drinks, including a Russian salad that the owner, "
            '{official}, says is his grandmother\'s recipe. "It is the one thing on the menu I will never change."',
            "Bartenders say customers have become more curious. Many ask where a drink comes from and how it "
            "was first made before they order it.",
            "Rents in the city centre have risen sharply, and several owners said they could only afford their "
            "premises by opening late into the night, six days a week.",
            "The trend began a decade ago with a handful of bars in the old Jewish quarter, where ruined "
            "buildings were turned into drinking halls filled with mismatched furniture.",
            "Today the newer bars are more polished, with leather banquettes, brass fittings and bartenders "
            "in white jackets who spend minutes stirring a single drink.",
            "Prices have risen accordingly. A cocktail in one of the grander bars costs about as much as a "
            "three-course lunch in a neighbourhood restaurant a few streets away.",
            "Local producers have benefited too. Distillers of fruit brandy, once seen as an old-fashioned "
            "drink, now supply bars that use it in new recipes.",
            "Tourists make up a large share of the customers in summer, but bar owners said locals had "
            "started to come back in the autumn and winter months.",
        ),
        closers=("Most of the bars take bookings only for groups; everyone else queues.",),
        outlets=("danube-daily",),
    ),
    Topic(
        key="us-jobs",
        countries=("US",),
        datelines=("WASHINGTON",),
        titles=(
            "US employers add more jobs than expected as wage growth cools",
            "Hiring beats forecasts as pay growth slows",
            "Jobs report points to a steady US labour market",
        ),
        leads=(
            "American employers added {jobs} jobs last month, more than economists had expected, while wage "
            "growth slowed, the Labor Department said on {weekday}, easing fears that the US economy was heading "
            "for a sharp slowdown.",
        ),
        pool=(
            "The unemployment rate was unchanged at {rate} percent. Health care, restaurants and construction "
            "accounted for most of the new jobs, while manufacturers and retailers cut staff.",
            "Average hourly earnings rose 0.2 percent from the month before, the smallest increase since the "
            "spring, suggesting that the pressure on employers to raise pay is fading.",
            '"This is about as good as it gets for the central bank," said {analyst}, an economist at an '
            'investment firm in Boston. "Hiring is steady, and wages are no longer pushing up prices."',
            "The report showed that fewer Americans were working part time because they could not find "
            "full-time jobs, and that more people had joined the labour force, a sign of confidence among job "
            "seekers.",
            "Revisions to earlier months were small. Economists had worried that the figures for the summer "
            "would be cut sharply, as happened last year.",
            "Stock futures rose after the report, and yields on Treasury bonds fell slightly as traders bet "
            "that interest rates would come down further next year.",
            "Some economists cautioned that one month of data could be misleading, noting that the survey of "
            "households, which is used to calculate the unemployment rate, has become less reliable as fewer "
            "people respond to it.",
        ),
        closers=("The next jobs report is due in the first week of next month.",),
        slots={"jobs": ("164,000", "187,000"), "rate": ("4.3", "4.4")},
        outlets=("meridian-wire", "harbor-ledger", "capital-dispatch"),
    ),
    Topic(
        key="baikal-tourism",
        countries=("CN", "RU"),
        datelines=("IRKUTSK",),
        titles=("Chinese tour groups fill hotels on the shores of Lake Baikal",),
        leads=(
            "Hotels around Lake Baikal reported their busiest autumn on record, local officials said on "
            "{weekday}, as tour groups from China replaced the European visitors who once made up much of "
            "Russia's foreign tourist trade.",
        ),
        pool=(
            "Visitors from China accounted for more than two-thirds of foreign guests in the Irkutsk region "
            "this year, according to the regional tourism office, helped by new direct flights and visa-free "
            "travel for organised groups.",
            "Tour operators say the lake, the deepest in the world, has become a fashionable destination on "
            "Chinese social media, where videos of its clear winter ice attract millions of views.",
            "Local businesses have adapted quickly. Menus are printed in Chinese, shops accept Chinese payment "
            "apps, and several guesthouses have hired staff who speak Mandarin.",
            "Not everyone is pleased. Environmental groups have warned that the rapid growth of hotels and "
            "cafes on the shore, some built without permits, threatens the lake's fragile ecosystem.",
            "Regional officials said they planned to build new sewage treatment plants and to limit "
            "construction in the most sensitive areas, but residents say enforcement has been weak.",
            "Tourism now employs more people in some villages on the lake than fishing, which for generations "
            "was the main source of work.",
            "The winter season, when visitors come to walk and drive on the frozen lake, usually begins in "
            "January and is already largely booked, operators said.",
        ),
        closers=("Regional officials expect more than a million visitors to the lake next year.",),
        outlets=("steppe-courier", "pacific-sentinel", "eastern-lantern"),
    ),
    Topic(
        key="port-automation",
        countries=(),
        datelines=("SINGAPORE",),
        titles=("Singapore's new mega-port moves more boxes with fewer hands",),
        leads=(
            "Driverless trucks and remote-controlled cranes handled a record number of containers at "
            "Singapore's newest terminal last month, the port operator said on {weekday}, as the city-state "
            "presses ahead with one of the world's largest port automation projects.",
        ),
        pool=(
            "The terminal, built on reclaimed land in the west of the island, will eventually replace the "
            "older city terminals closer to the business district, freeing the land for housing and offices.",
            "Crane operators now work from a control room several kilometres away, watching video feeds and "
            "guiding the crane's final movements with joysticks. Each operator can oversee several cranes.",
            "The port operator said the system had cut the time ships spend alongside the quay and reduced "
            "emissions, since electric vehicles replaced diesel trucks inside the terminal.",
            "Unions have accepted the changes in return for retraining programmes and guarantees that no "
            "workers would be laid off. Many former drivers now maintain the automated vehicles.",
            "Competition among Asian ports is fierce. Ports in Malaysia, Indonesia and Thailand have expanded "
            "and are courting the same shipping lines with lower fees.",
            "Shipping analysts said the investment would help the port handle the larger ships now entering "
            "service, which carry more than twenty thousand containers each.",
            "Ports in Europe have watched the project closely. Several are testing similar systems but face "
            "stronger resistance from dock workers.",
        ),
        closers=("The terminal is due to be completed in the early 2040s.",),
        outlets=("pacific-sentinel",),
    ),
    Topic(
        key="alpine-tunnel",
        countries=(),
        datelines=("INNSBRUCK",),
        titles=("Tunnel crews break through under the Alps on Europe's longest rail link",),
        leads=(
            "Workers digging the world's longest underground rail link broke through the last section of rock "
            "beneath the Alps on {weekday}, a milestone for a project that will carry freight between Austria "
            "and Italy.",
        ),
        pool=(
            "The tunnel, more than sixty kilometres long including a connecting line, will allow trains to "
            "cross the mountains without the steep climbs that limit the length and weight of freight trains "
            "today.",
            "Governments hope it will take trucks off the motorway over the pass, one of the busiest freight "
            "routes in Europe, where residents have long complained about noise and pollution.",
            "Engineers said the most difficult section ran through fractured rock that required extra support, "
            "which added years to the schedule and hundreds of millions of euros to the budget.",
            "Miners from several countries worked on the project, and a small chapel at the construction site "
            "holds a statue of Saint Barbara, the patron saint of miners, by tradition.",
            "The railway approaches on the Italian and German sides are not yet finished, which means that the "
            "full benefit of the tunnel will not be felt until well into the next decade.",
            "Freight companies said they would move more goods by rail only if prices were competitive with "
            "road haulage, and called for higher tolls for trucks on the pass.",
        ),
        closers=("The tunnel is due to open to trains in the early 2030s.",),
        outlets=("danube-daily", "meridian-wire"),
    ),
    Topic(
        key="mississippi-barges",
        countries=("US",),
        datelines=("MEMPHIS, Tennessee",),
        titles=("Low water on the Mississippi strands barges at harvest time",),
        leads=(
            "Hundreds of barges were stuck on the Mississippi River on {weekday} as water levels fell near "
            "record lows, disrupting the shipment of grain from the American Midwest to export terminals on "
            "the Gulf Coast.",
        ),
        pool=(
            "The US Army Corps of Engineers said dredging crews were working around the clock to keep a "
            "channel open, but that barge operators would have to carry lighter loads until the river rose.",
            "Barge companies have cut the number of barges each towboat can push and the amount of grain each "
            "can carry, raising shipping costs at the busiest time of the year for farmers.",
            "A dry summer and autumn across the river's basin left tributaries low. Forecasters said it could "
            "take weeks of steady rain to bring the river back to normal levels.",
            "Farmers said the higher freight rates were being passed back to them in lower prices for their "
            "crops at local elevators, squeezing incomes already hit by weak export demand.",
            '"We have seen low water before, but not three years running," said {farmer}, who farms soybeans '
            'and corn in Arkansas. "It makes you wonder whether this is the new normal."',
            "The river carries more than half of the country's grain exports, and shippers have few "
            "alternatives. Railroads and trucks can take only a fraction of the cargo.",
        ),
        closers=("The Corps of Engineers said it would review the dredging plan again next week.",),
        outlets=("harbor-ledger", "capital-dispatch"),
    ),
    Topic(
        key="india-russian-oil",
        countries=("RU",),
        datelines=("NEW DELHI", "MUMBAI"),
        titles=(
            "Indian refiners keep buying discounted Russian crude",
            "Russia stays India's top oil supplier despite narrower discounts",
            "India's imports of Russian crude hold near record",
        ),
        leads=(
            "Indian refiners bought about {bpd} million barrels a day of Russian crude oil last month, according "
            "to ship-tracking data published on {weekday}, keeping Russia the largest supplier to the world's "
            "third-largest oil importer.",
        ),
        pool=(
            "The discount on Russian oil compared with international benchmarks has narrowed this year, but "
            "refiners said it still made the crude cheaper than supplies from the Middle East.",
            "Indian officials have defended the purchases, saying the country needs affordable energy for its "
            "growing economy and buys oil wherever it gets the best price.",
            "Payment has been a recurring problem. Some cargoes have been paid for in currencies other than "
            "the dollar, and several banks have become more cautious after new sanctions on Russian exporters.",
            "Shipping analysts said a growing share of the oil was carried by older tankers with opaque "
            "ownership, raising concerns about safety and insurance.",
            "Refiners on India's west coast process much of the Russian crude and export part of the resulting "
            "diesel and jet fuel to Europe, Africa and other parts of Asia.",
            "Analysts at a Mumbai brokerage said purchases were likely to stay high unless sanctions made "
            "payments or shipping much harder.",
        ),
        closers=("The oil ministry is due to publish official import figures later this month.",),
        slots={"bpd": ("1.6", "1.7")},
        outlets=("pacific-sentinel", "meridian-wire"),
    ),
    Topic(
        key="ev-plant-hungary",
        countries=("CN",),
        datelines=("SZEGED",),
        titles=(
            "Chinese carmaker starts production at its first European plant in Hungary",
            "Chinese EV maker opens Hungarian factory to sidestep EU tariffs",
            "First cars roll off the line at Chinese-owned plant in Szeged",
        ),
        leads=(
            "A Chinese electric carmaker began production at its first European factory on {weekday}, in the "
            "Hungarian city of Szeged, betting that building cars inside the European Union will protect it "
            "from tariffs on imports from China.",
        ),
        pool=(
            "The plant will initially make a small hatchback and a compact sport utility vehicle, and the "
            "company said it could eventually build two hundred thousand cars a year.",
            "Hungary has attracted billions of euros of Chinese investment in battery and car factories in "
            "recent years, offering subsidies, cheap land and fast permits.",
            "The government in Budapest says the investments will create thousands of jobs and make Hungary a "
            "centre of the electric vehicle industry. Critics warn that the country is becoming too dependent "
            "on Chinese companies.",
            "Residents near some battery plants have protested over water use and the risk of pollution, and "
            "several local referendums on new factories have been called.",
            "The European Union imposed extra tariffs on electric cars made in China last year, arguing that "
            "the industry benefited from unfair subsidies. Cars built in Hungary are not subject to the duties.",
            "European carmakers, which face stiff competition from Chinese brands, have responded by cutting "
            "prices and speeding up the launch of cheaper electric models.",
        ),
        closers=("The first cars from the plant will go on sale in Germany and France early next year.",),
        outlets=("danube-daily", "meridian-wire", "eastern-lantern"),
    ),
    Topic(
        key="climate-talks",
        countries=("CN", "US"),
        datelines=("BONN",),
        titles=(
            "Climate negotiators struggle over finance as China and the US trade blame",
            "Bonn climate talks stall over who pays",
            "China and US spar over climate finance at UN talks",
        ),
        leads=(
            "Negotiators at a round of United Nations climate talks in Bonn made little progress on {weekday} "
            "on how to pay for poorer countries' transition to clean energy, with delegates from China and the "
            "United States trading blame over who should contribute.",
        ),
        pool=(
            "Developing countries want rich nations to provide far more money to help them cut emissions and "
            "adapt to heat waves, floods and rising seas.",
            "The American delegation said large emerging economies, including China, should join the group of "
            "countries that contribute to climate finance. Chinese negotiators said the obligation lay with "
            "countries that grew rich by burning fossil fuels.",
            "China is the world's largest emitter of greenhouse gases today, while the United States has "
            "emitted the most over time. Both countries have installed record amounts of solar and wind "
            "power in recent years.",
            'Small island states accused the large economies of wasting time. "Every year of delay costs us '
            'land and lives," said a negotiator from the Pacific.',
            "Observers said the talks were overshadowed by disputes about trade, including border taxes on "
            "carbon-intensive imports that the European Union has begun to phase in.",
            "The meeting is one of several held between the annual summits, where the technical details of "
            "agreements are worked out before ministers arrive.",
        ),
        closers=("Negotiators will meet again before the next annual summit.",),
        outlets=("meridian-wire", "pacific-sentinel", "harbor-ledger"),
    ),
    Topic(
        key="press-awards",
        countries=(),
        datelines=("HONG KONG",),
        titles=("Regional press awards honour reporting on migrant workers and floods",),
        leads=(
            "Reporters from across Asia were honoured at a press awards ceremony in Hong Kong on {weekday}, "
            "with the top prize going to an investigation into the treatment of migrant workers on fishing "
            "boats.",
        ),
        pool=(
            "The winning series, by a team of reporters from three countries, traced how workers recruited in "
            "Indonesia and Myanmar were kept at sea for months without pay.",
            "Judges also praised coverage of floods in Pakistan and Bangladesh, and a data project that mapped "
            "air pollution in cities across South Asia.",
            "Finalists included reporters from the South China Morning Post, the Washington Post's Asia bureau "
            "and several smaller independent outlets that rely on reader donations.",
            "Speakers at the ceremony warned that press freedom in the region was under strain, with "
            "journalists facing lawsuits, online harassment and, in some countries, prison.",
            "The awards, now in their twentieth year, are judged by a panel of editors and academics from "
            "outside the region to avoid conflicts of interest.",
            "Organisers said entries had risen by a third from last year, with a growing number submitted by "
            "freelance journalists.",
        ),
        closers=("Next year's awards will be presented in Singapore.",),
        outlets=("pacific-sentinel",),
    ),
)

# The summit week: a China-Russia state visit planted as the corpus's news spike. Fictional events; no words are
# put in the mouths of real people (statements come from ministries, spokespeople and fictional analysts).
SUMMIT_STORIES: tuple[Topic, ...] = (
    Topic(
        key="summit-preview",
        countries=("CN", "RU"),
        datelines=("BEIJING",),
        titles=(
            "Putin heads to Beijing for talks on energy and trade with Xi",
            "Russian leader to visit China as both sides eye energy deals",
            "Putin due in Beijing with pipeline and payments on the agenda",
        ),
        leads=(
            "Russian President Vladimir Putin will arrive in Beijing on {weekday} evening for a two-day state "
            "visit, the Kremlin said, with talks with Chinese President Xi Jinping expected to focus on energy, "
            "trade and payments between the two countries.",
        ),
        pool=(
            "Officials in Moscow and Beijing have said for weeks that the two sides hope to sign agreements on a "
            "new gas pipeline, grain exports and joint projects in the Arctic during the visit.",
            "Trade between China and Russia has grown sharply in recent years as Russian exporters turned east. "
            "China is now Russia's largest buyer of crude oil, and Chinese carmakers account for a majority of "
            "new cars sold in Russia.",
            "Diplomats in Washington and European capitals will watch closely for any sign of deeper military "
            "cooperation, which both governments have said is not directed at third countries.",
            'A Kremlin spokesperson told reporters that relations between Russia and China were "at the highest '
            'level in their history" and that the two leaders would also meet without aides.',
            "Security was tightened in central Beijing ahead of the visit, with roads around Tiananmen "
            "Square expected to close for the welcome ceremony on the first day.",
            "Analysts expect the two sides to discuss how to keep trade flowing despite Western sanctions, "
            "which have made some Chinese banks reluctant to handle payments from Russian companies.",
        ),
        closers=("The visit is the Russian leader's second to China this year.",),
        outlets=("meridian-wire",),
        fixed=True,
    ),
    Topic(
        key="summit-preview-steppe",
        countries=("CN", "RU"),
        datelines=("MOSCOW",),
        titles=("Russian exporters look to Beijing summit for new contracts",),
        leads=(
            "Russian business leaders travelling with the presidential delegation to China expect to sign "
            "contracts worth billions of dollars, the head of a Moscow chamber of commerce said on {weekday}.",
        ),
        pool=(
            "Companies from the energy, agriculture and machine-building sectors are among about two hundred "
            "firms in the delegation. Several plan to open offices in Shanghai and Harbin next year.",
            "Russia and China now settle almost all of their trade in rubles and yuan, a shift that business "
            "groups say has made contracts simpler to arrange but left some smaller exporters waiting weeks "
            "for payments to clear.",
            "Farm exporters hope Beijing will approve more Russian regions to sell grain and meat to China. "
            "Sales of Russian buckwheat, honey and ice cream to Chinese consumers have risen sharply, helped by "
            "online shopping platforms.",
            "Analysts said the agenda left little doubt that Moscow sees China as its main economic partner for "
            "years to come.",
            "The delegation includes the heads of several regions in the Russian Far East, which have the "
            "closest economic ties with China and hope for new investment in ports, roads and processing "
            "plants.",
            "Organisers of the forum said more than a thousand participants had registered, including "
            "representatives of Chinese provinces that border Russia.",
        ),
        closers=("The delegation's business forum opens on the second day of the visit.",),
        outlets=("steppe-courier",),
        fixed=True,
    ),
    Topic(
        key="summit-main",
        countries=("CN", "RU"),
        datelines=("BEIJING",),
        titles=(
            "China and Russia sign energy and trade deals at Beijing summit",
            "Xi hosts Putin as China and Russia seal gas, grain and payment deals",
            "Beijing summit: Russia and China agree gas pipeline framework",
            "China, Russia deepen partnership with a raft of deals",
        ),
        leads=(
            "China and Russia signed agreements on natural gas, grain and payments on {weekday} as Chinese "
            "President Xi Jinping hosted Russian President Vladimir Putin for talks in Beijing, the two "
            "governments said in a joint statement.",
        ),
        pool=(
            "The statement said the two countries would deepen their strategic partnership and expand trade "
            "settled in yuan and rubles. It did not give a value for the agreements, but officials in Moscow "
            "said the package was the largest signed between Russia and China in a decade.",
            "The centrepiece was a framework deal for a second major gas pipeline from western Siberia to "
            "northern China. Russian officials have sought the project for years to replace lost sales in "
            "Europe, while Chinese negotiators have pressed for a lower price.",
            "Foreign ministers Wang Yi and Sergei Lavrov also signed a plan for consultations on regional "
            "security, covering Central Asia, the Korean peninsula and the Arctic.",
            "Analysts said the summit showed that Beijing and Moscow were drawing closer despite Western "
            'pressure. "Russia needs China far more than China needs Russia, and the terms of these deals '
            'reflect that," said {analyst}, who studies relations between the two countries.',
            "The two leaders walked through the gardens of the Zhongnanhai leadership compound after the formal "
            "talks, state television in both countries showed.",
            "The agreements also covered the export of Russian grain and meat to China, cooperation on "
            "satellite navigation, and the construction of new border crossings along the Amur River.",
        ),
        closers=(
            "Officials said further agreements on nuclear energy and space research would be signed in the spring.",
        ),
        outlets=("meridian-wire",),
        fixed=True,
    ),
    Topic(
        key="summit-markets",
        countries=("CN", "RU"),
        datelines=("MOSCOW",),
        titles=("Ruble and yuan trade picks up as Russia-China summit promises payment links",),
        leads=(
            "Trading between the ruble and the yuan on the Moscow exchange rose to its highest level in three "
            "months on {weekday}, as investors bet that agreements signed at the China-Russia summit would make "
            "payments between the two countries easier.",
        ),
        pool=(
            "Russian companies have struggled to get paid for goods sold to China since Chinese banks tightened "
            "checks on transactions with Russia, fearing secondary sanctions. The summit statement promised a "
            "new settlement mechanism but gave no details.",
            "Shares in Russian energy companies rose on the Moscow exchange, while Chinese buyers of Russian "
            "crude were little changed in Shanghai and Hong Kong.",
            "Bankers in Moscow said a larger role for Chinese banks' local branches in Russia could ease the "
            "backlog, though the biggest Chinese lenders are likely to stay cautious.",
            'Currency strategists said the practical effect would take months to show. "Markets are trading the '
            'headline," said {analyst}, a strategist in Dubai. "The plumbing will take longer."',
            "Traders said demand for yuan-denominated bonds issued by Russian companies had risen in recent "
            "weeks, as firms looked for ways to borrow outside the domestic market.",
            "The ruble has been volatile this year, swinging with oil prices and the size of export "
            "revenues, and analysts said the summit was unlikely to change that pattern.",
        ),
        closers=(
            "The yuan now accounts for almost all of Russia's foreign currency trading, exchange data show.",
        ),
        outlets=("meridian-wire",),
        fixed=True,
    ),
    Topic(
        key="summit-pipeline",
        countries=("CN", "RU"),
        datelines=("BEIJING",),
        titles=("Long-delayed Siberian gas pipeline edges forward as Xi and Putin meet",),
        leads=(
            "A gas pipeline that Russia has tried to sell to China for more than a decade moved a step closer on "
            "{weekday}, when the two countries signed a framework agreement during a summit in Beijing.",
        ),
        pool=(
            "The line would carry gas from fields in western Siberia, which once supplied Europe, across Mongolia "
            "to northern China. Russia's state gas company has said it could carry about fifty billion cubic "
            "metres a year.",
            "Price has been the main obstacle. Chinese buyers want gas at close to the subsidised prices paid "
            "inside Russia, while Moscow needs higher prices to pay for the construction.",
            'Energy analysts were cautious. "A framework agreement is not a contract," said {analyst}, who '
            'follows the Chinese and Russian gas markets. "China has every reason to take its time."',
            "China already receives Russian gas through an eastern pipeline that opened in 2019, as well as "
            "liquefied natural gas shipped from the Arctic and the Pacific coast.",
            "For Beijing the pipeline would add a land route for energy supplies that cannot be blocked at sea, "
            "an advantage Chinese planners have emphasised since tensions with the United States rose.",
            "Engineering work on the route has been under way for several years, and the Mongolian "
            "government has said it is ready to grant the permits needed for the section on its territory.",
        ),
        closers=("Construction would take at least five years once a final contract is signed.",),
        outlets=("harbor-ledger",),
        fixed=True,
    ),
    Topic(
        key="summit-washington",
        countries=("CN", "RU", "US"),
        datelines=("WASHINGTON",),
        titles=("Washington watches warily as China and Russia deepen ties",),
        leads=(
            "The State Department said on {weekday} that it was studying the agreements signed by China and "
            "Russia in Beijing, and warned Chinese banks against helping Moscow evade sanctions.",
        ),
        pool=(
            "US officials have long worried that closer economic ties between Russia and China would blunt the "
            "effect of Western sanctions. A department spokesperson said Washington would not hesitate to act "
            "against companies that supplied Russia's military.",
            'On Capitol Hill, members of both parties called for a hearing on the summit. "The partnership '
            'between Beijing and Moscow is the defining challenge for American foreign policy," said {senator}.',
            "Some analysts in Washington argued that the deals signed in Beijing were smaller than they looked. "
            '"China drives a hard bargain, even with its friends," said {analyst}, a former Pentagon official.',
            "The Pentagon has said it sees no sign so far of a formal military alliance between China and "
            "Russia, though the two countries have held joint naval and air patrols near Japan and Alaska.",
            "Officials in Washington have also raised concern about sales of Chinese drones, machine tools "
            "and electronic components that they say have ended up in Russian weapons.",
            "The Treasury has added dozens of Chinese companies to its sanctions lists over the past two "
            "years, and officials said more could follow in the coming weeks.",
        ),
        closers=(
            "The Senate Foreign Relations Committee is expected to discuss the summit at a hearing next week.",
        ),
        outlets=("capital-dispatch",),
        fixed=True,
    ),
    Topic(
        key="summit-steppe",
        countries=("CN", "RU"),
        datelines=("BEIJING",),
        titles=("Russia and China open 'new chapter' of partnership, leaders say after talks",),
        leads=(
            "Russia and China opened a new chapter in their comprehensive partnership on {weekday}, the two "
            "sides said after talks in Beijing that produced more than twenty agreements on trade, energy, "
            "science and culture.",
        ),
        pool=(
            "The Kremlin said the talks between Vladimir Putin and Xi Jinping had been held in a warm and "
            "friendly atmosphere and that the two leaders had a shared view of the situation in the world.",
            "Russian and Chinese officials agreed to hold a joint year of education and to double the number of "
            "student exchanges, with more Chinese students expected at Russian universities in Kazan, Tomsk "
            "and Vladivostok.",
            "Trade between Russia and China has reached record levels, and the two countries plan to expand "
            "cooperation in agriculture, high technology, and the development of the Northern Sea Route.",
            "Russian business leaders in the delegation signed contracts for the supply of grain, timber and "
            "fertiliser, as well as a deal to build a car parts plant in the Kaliningrad region.",
            "Cooperation in energy remains the backbone of the relationship. Russia is the largest supplier "
            "of crude oil to China and an important source of pipeline gas and coal.",
            "The sides also discussed international issues, including the situation in the Asia-Pacific "
            "region and the work of the BRICS group and the Shanghai Cooperation Organisation.",
        ),
        closers=("The next summit is expected to take place in Russia next year.",),
        outlets=("steppe-courier",),
        fixed=True,
    ),
    Topic(
        key="summit-asia",
        countries=("CN", "RU"),
        datelines=("SINGAPORE",),
        titles=("Asian capitals weigh what a closer China-Russia partnership means for the region",),
        leads=(
            "Governments across Asia were studying the outcome of the China-Russia summit on {weekday}, with "
            "diplomats in Tokyo, Seoul and New Delhi looking for signs of deeper military cooperation between "
            "Beijing and Moscow.",
        ),
        pool=(
            "Japan's chief cabinet secretary said Tokyo was watching the joint naval patrols of Chinese and "
            "Russian ships near its coast with concern and would raise the matter with both governments.",
            "India, which buys large amounts of Russian oil and weapons but is wary of China, is in a delicate "
            "position. Officials in New Delhi said relations with Moscow were independent of relations between "
            "Russia and China.",
            'In Southeast Asia, the reaction was muted. "For most governments here, China and Russia matter in '
            'different ways, and nobody wants to choose," said {analyst}, a researcher at a Singapore institute.',
            "Central Asian states, once part of the Soviet Union and now courted by both powers, have welcomed "
            "new transport links but want to avoid depending on either of them.",
            "South Korean officials said they would seek assurances from Moscow that it would not transfer "
            "sensitive military technology to North Korea, a concern raised repeatedly in Seoul.",
            "Business groups in Singapore said the summit had little immediate effect on the region's trade,"
            " most of which flows through Chinese, Japanese and Southeast Asian ports rather than Russian "
            "ones.",
        ),
        closers=("Foreign ministers from the region meet in Kuala Lumpur next month.",),
        outlets=("pacific-sentinel",),
        fixed=True,
    ),
    Topic(
        key="summit-europe",
        countries=("CN", "RU"),
        datelines=("VIENNA",),
        titles=("Europe fears the Beijing summit will soften the impact of sanctions on Moscow",),
        leads=(
            "European officials said on {weekday} that the agreements signed between China and Russia in "
            "Beijing risked undermining sanctions on Moscow, and urged Chinese companies not to supply goods "
            "that could be used by the Russian military.",
        ),
        pool=(
            "A spokesperson for the European Commission said the bloc would discuss the summit at a meeting of "
            "foreign ministers next week and did not rule out new listings of Chinese firms.",
            "The gas pipeline agreed in principle in Beijing would draw on fields that once supplied Europe, a "
            "reminder of how far Russia's energy trade has turned east.",
            "Diplomats in Vienna, where several international organisations have their headquarters, said the "
            "summit would make it harder to build support for Ukraine among countries that trade with both "
            'China and Russia. "Nobody in this city was surprised," said {analyst}, a former Austrian diplomat.',
            "European exporters, meanwhile, worry that Chinese cars and machinery have taken market share in "
            "Russia that Western companies lost when they left after the invasion of Ukraine.",
            "Trade between the European Union and China is several times larger than trade between China and"
            " Russia, and officials in Brussels have tried to use that leverage to shape Beijing's "
            "behaviour.",
            "Austria and Hungary, which still buy some Russian gas, are watching the talks closely. "
            "Officials in Budapest said the country's energy supplies would not be affected.",
        ),
        closers=("EU foreign ministers meet in Brussels on Monday.",),
        outlets=("danube-daily",),
        fixed=True,
    ),
    Topic(
        key="summit-lantern",
        countries=("CN", "RU"),
        datelines=("BEIJING",),
        titles=("China and Russia pledge to deepen practical cooperation as summit concludes",),
        leads=(
            "China and Russia agreed on {weekday} to deepen practical cooperation in energy, agriculture, "
            "connectivity and culture, as the leaders of the two countries concluded talks in Beijing.",
        ),
        pool=(
            "The Chinese foreign ministry said the relationship between China and Russia was based on "
            "non-alignment, non-confrontation and not targeting any third party, and that it served the "
            "interests of both peoples.",
            "Officials from the two countries signed documents on cross-border railway bridges, customs "
            "procedures and trade in agricultural products, including the supply of Russian soybeans and "
            "flour to northeastern China.",
            "Chinese tourism to Russia has recovered strongly, and the two sides agreed to expand visa-free "
            "group travel. Flights between Chinese cities and Moscow, Kazan and Irkutsk have more than doubled "
            "in two years.",
            "Experts at a Beijing think tank said the outcomes showed the resilience of China-Russia relations "
            "and their value as a stabilising factor in a changing world.",
            "The two sides said they would work together within the United Nations, the Shanghai Cooperation"
            " Organisation and BRICS to promote a multipolar world and greater democracy in international "
            "relations.",
            "Cultural exchanges will also expand, with film festivals, translation projects and joint "
            "archaeological research planned for next year.",
        ),
        closers=(
            "The two sides will hold the next round of regular prime ministers' talks early next year.",
        ),
        outlets=("eastern-lantern",),
        fixed=True,
    ),
    Topic(
        key="summit-analysis",
        countries=("CN", "RU", "US"),
        datelines=("NEW YORK",),
        titles=("Analysis: The summit shows who sets the terms between China and Russia",),
        leads=(
            "For all the ceremony in Beijing on {weekday}, the summit between Xi Jinping and Vladimir Putin "
            "underlined an imbalance that has grown since 2022: China is now indispensable to Russia's economy, "
            "while Russia is one useful partner among many for China.",
        ),
        pool=(
            "China buys about a third of Russia's oil exports and supplies most of the machinery, electronics "
            "and cars that Russians can no longer buy from Europe, Japan or the United States.",
            "Russia brings energy, grain, Arctic access and a permanent seat on the United Nations Security "
            "Council, but Beijing has been careful not to let the partnership damage its far larger trade with "
            "America and Europe.",
            '"Moscow wanted a pipeline contract and got a framework," said {analyst}, who has advised companies '
            'on doing business in both China and Russia. "That tells you who is negotiating from strength."',
            "None of this makes the relationship fragile. Both governments share a wish to limit the influence "
            "of the United States, and neither has reason to break with the other soon.",
            "The imbalance shows in the details. Russian companies complain that Chinese partners insist on "
            "payment terms and prices that would have been unthinkable a few years ago.",
            "Chinese officials, for their part, are wary of being drawn into Russia's conflicts and have "
            "kept their largest banks and technology firms at arm's length from sanctioned Russian entities.",
        ),
        closers=(
            "What to watch next: whether Chinese banks ease the payment bottlenecks that Russian exporters complain about.",
        ),
        outlets=("harbor-ledger",),
        fixed=True,
    ),
    Topic(
        key="summit-followup",
        countries=("CN", "RU"),
        datelines=("HARBIN",),
        titles=("Border towns hope China-Russia deals bring more trade across the Amur",),
        leads=(
            "Traders in the northeastern Chinese city of Heihe, across the Amur River from Russia, said on "
            "{weekday} that they hoped the agreements signed at this week's summit would bring more customers "
            "and fewer customs delays.",
        ),
        pool=(
            "A road bridge between Heihe and the Russian city of Blagoveshchensk opened several years ago, and "
            "trucks carrying Chinese fruit, vegetables and electronics now queue on both sides of the river.",
            "Russian shoppers cross for clothes and household goods, while Chinese tourists visit the Russian "
            "side for its old wooden houses and river views.",
            "Local officials said a new cargo terminal and simpler checks on farm products, both announced at "
            "the summit, could double trade through the crossing within three years.",
            'Shopkeepers were hopeful but practical. "We have heard promises before," said one trader who sells '
            'furs and down jackets to Russian visitors. "Let us see the trucks first."',
            "Officials in Heihe have built a new trade zone near the bridge, with warehouses, a duty-free "
            "shopping centre and offices for companies that handle the paperwork for cross-border shipments.",
            "Local restaurants advertise their menus in Russian and Chinese, and many shopkeepers on the "
            "Chinese side speak enough Russian to bargain with customers.",
        ),
        closers=(
            "The river usually freezes in late November, when a seasonal ice road opens for light vehicles.",
        ),
        outlets=("pacific-sentinel",),
        fixed=True,
    ),
    Topic(
        key="summit-hearing",
        countries=("CN", "RU", "US"),
        datelines=("WASHINGTON",),
        titles=("Senators press for sanctions on banks after the Beijing summit",),
        leads=(
            "A group of senators from both parties on {weekday} proposed sanctions on foreign banks that process "
            "payments for Russian defence companies, saying the China-Russia summit had shown that existing "
            "measures were not enough.",
        ),
        pool=(
            "The bill would direct the Treasury to identify Chinese and other foreign banks that handle payments "
            "for firms under US sanctions and cut them off from the American financial system.",
            '"Beijing and Moscow are testing whether we mean what we say," said {senator}, one of the sponsors. '
            '"This bill gives the answer."',
            "Business groups warned that broad measures could hurt American companies that rely on Chinese banks "
            "for trade finance, and asked for exemptions for humanitarian and agricultural trade.",
            "The White House has not said whether it supports the bill. Similar proposals have stalled in "
            "previous sessions of Congress.",
            "Supporters of the bill said sanctions on a handful of regional banks last year had led larger "
            "lenders to stop processing payments for Russian clients, and argued that wider measures would "
            "have a stronger effect.",
            "The Chinese embassy said in a statement that it firmly opposed unilateral sanctions and that "
            "normal trade between China and Russia should not be disrupted.",
        ),
        closers=("A committee vote on the bill could come before the end of the year.",),
        outlets=("capital-dispatch",),
        fixed=True,
    ),
)

# Stories whose relations are known (RELATIONS_POLICY.md), published after the summit spike (corpus.RELATION_DAYS)
# so that the spike day's baselines stay as they were: a sanctions announcement answered by an accusation, an
# exchange of accusations, and a summit with agreements. Every sentence naming two watched countries is meant
# to hold exactly the relations listed; the others name one country or none.
RELATION_STORIES: tuple[Topic, ...] = (
    Topic(
        key="bank-sanctions",
        countries=("RU", "US"),
        datelines=("WASHINGTON",),
        titles=("US imposes sanctions on Russian banks and a payments network",),
        leads=(
            "The United States imposed sanctions on three Russian banks and a payments network on {weekday}, "
            "saying they had helped companies get around earlier restrictions on trade in military equipment.",
        ),
        pool=(
            "The measures freeze any assets the banks hold under American jurisdiction and bar US citizens and "
            "companies from doing business with them. A Treasury official told reporters that further "
            "designations were being prepared and that foreign banks handling payments for the three could "
            "also be penalised.",
            "Russia's foreign ministry accused Washington of waging economic war and said Moscow would respond "
            "in a way it considered appropriate. The ministry called the measures illegal and said they would "
            "harm American companies more than Russian ones.",
            "The three banks handle a large share of the payments of Russian energy and metals exporters, "
            "according to {analyst}, who follows the country's financial sector from Vienna. The designations "
            "would raise costs for exporters rather than stop trade, the analyst said.",
            "Shares in the largest of the three fell sharply in Moscow trading before the exchange suspended "
            "dealing, and the rouble weakened against the dollar for a third day.",
            "Lawyers who advise European trading houses said clients had spent the afternoon checking whether "
            "any of their letters of credit passed through the banks named in the order.",
        ),
        closers=("The Treasury said the measures took effect immediately.",),
        outlets=("meridian-wire",),
        fixed=True,
        relations=(("US", "RU", "material_conflict"), ("RU", "US", "verbal_conflict")),
    ),
    Topic(
        key="port-hacking",
        countries=("CN", "US"),
        datelines=("WASHINGTON",),
        titles=("Washington and Beijing trade accusations over hacking of port systems",),
        leads=(
            "The United States accused China on {weekday} of running a years-long hacking campaign against the "
            "computer systems of American ports, and Beijing accused Washington of slander within hours.",
        ),
        pool=(
            "In a statement, the US Cybersecurity and Infrastructure Security Agency said hackers working for "
            "China's Ministry of State Security had gained access to cargo-handling software at several ports "
            "on the West Coast.",
            "China's foreign ministry rejected the accusation as groundless and accused the United States of "
            "being the world's biggest source of cyberattacks.",
            "Port operators said they had found no sign that cargo records or berth schedules had been altered. "
            "{analyst}, a security researcher who has studied the software, said the flaw the intruders used "
            "had been known to its maker for at least a year.",
            "The exchange comes weeks before trade negotiators from the two countries are due to meet again in "
            "Geneva, and officials on both sides have said they want those talks to go ahead.",
            "Several port authorities said they had changed passwords and cut remote access to their terminals "
            "while engineers checked the systems, and that ships were being loaded and unloaded as normal.",
        ),
        closers=("Neither side said what further steps it would take.",),
        outlets=("harbor-ledger",),
        fixed=True,
        relations=(("US", "CN", "verbal_conflict"), ("CN", "US", "verbal_conflict")),
    ),
    Topic(
        key="singapore-summit",
        countries=("CN", "US"),
        datelines=("SINGAPORE",),
        titles=("China and the United States sign farm and aviation deals at Singapore summit",),
        leads=(
            "China and the United States signed agreements on farm purchases, aircraft orders and fentanyl "
            "controls on {weekday} as the two leaders met in Singapore for their first summit in more than a "
            "year.",
        ),
        pool=(
            "The farm agreement covers soybeans, corn and pork worth an estimated 20 billion dollars over two "
            "years, according to a fact sheet released by the White House.",
            "Washington welcomed Beijing's pledge to tighten controls on chemicals used to make fentanyl. "
            "China said it would deepen cooperation with the United States on drug enforcement.",
            "The aviation agreement clears the way for Chinese airlines to take delivery of about 150 jets from "
            "an American manufacturer, a deal that had been held up for more than a year.",
            "{analyst}, who studies trade between the two countries, said the deals eased pressure on farmers "
            "and aircraft workers but left the harder disputes over chips and tariffs untouched.",
            "State television in Beijing showed the two leaders shaking hands before a lunch at the "
            "presidential palace. There was no joint news conference.",
        ),
        closers=("Officials said the next round of trade talks would be held in Washington in the spring.",),
        outlets=("pacific-sentinel",),
        fixed=True,
        relations=(
            ("CN", "US", "material_cooperation"),
            ("US", "CN", "material_cooperation"),
            ("CN", "US", "verbal_cooperation"),
            ("US", "CN", "verbal_cooperation"),
        ),
    ),
)

# Short pieces in Russian and Chinese for the tagger's other-language aliases. Written for the demo.
FOREIGN_STORIES: tuple[Topic, ...] = (
    Topic(
        key="ru-summit",
        countries=("CN", "RU"),
        datelines=("ПЕКИН",),
        titles=("Россия и Китай подписали соглашения о поставках газа и зерна",),
        leads=(
            "Россия и Китай подписали в Пекине пакет соглашений о сотрудничестве в энергетике, сельском "
            "хозяйстве и расчётах в национальных валютах, сообщили в Кремле.",
        ),
        pool=(
            "По словам официальных представителей, товарооборот между Россией и Китаем продолжает расти, а "
            "почти все платежи проводятся в рублях и юанях.",
            "Эксперты отмечают, что в США и Европе внимательно следят за сближением Москвы и Пекина. "
            "Следующая встреча на высшем уровне запланирована на будущий год.",
            "Стороны договорились о строительстве нового газопровода из Западной Сибири в Китай через "
            "Монголию. Переговоры о цене газа, по данным источников, ещё продолжаются.",
            "Кроме того, подписаны документы о поставках российского зерна и мяса, о новых пунктах пропуска "
            "на границе и о сотрудничестве в освоении Северного морского пути.",
        ),
        closers=(),
        outlets=("steppe-courier",),
        fixed=True,
    ),
    Topic(
        key="ru-harvest",
        countries=("RU",),
        datelines=("МОСКВА",),
        titles=("Урожай зерна в России оказался выше прогнозов",),
        leads=(
            "Министерство сельского хозяйства повысило прогноз урожая зерна: аграрии в Поволжье и Сибири "
            "собрали больше, чем в прошлом году.",
        ),
        pool=(
            "Россия остаётся крупнейшим экспортёром пшеницы в мире. Основные покупатели — Египет, Турция и "
            "Алжир.",
            "Аналитики ожидают, что зимой отгрузки из портов Чёрного моря замедлятся из-за штормов.",
            "Цены на пшеницу на внутреннем рынке за последний месяц немного снизились. Фермеры жалуются на "
            "экспортную пошлину и высокие ставки по кредитам, которые мешают обновлять технику.",
            "Часть зерна этого урожая из-за дождей в конце лета пойдёт на корм скоту.",
        ),
        closers=(),
        outlets=("steppe-courier",),
        fixed=True,
    ),
    Topic(
        key="zh-summit",
        countries=("CN", "RU"),
        datelines=("北京",),
        titles=("中国和俄罗斯签署能源与贸易合作文件",),
        leads=("中国和俄罗斯在北京签署了多项合作文件，内容涉及能源、农业、交通和人文交流。",),
        pool=(
            "双方表示，中俄关系不针对任何第三方。两国贸易额继续增长，本币结算比例不断提高。",
            "专家认为，美国和欧洲对两国合作高度关注。双方同意明年继续举行定期会晤。",
            "根据协议，双方将推进经蒙古国的新天然气管道项目，扩大粮食和肉类贸易，并新建边境口岸和跨境铁路桥。",
            "两国还同意扩大旅游、教育和文化交流，明年将举办更多留学生交换项目和电影节活动。",
            "在能源领域，俄罗斯目前是中国最大的原油供应国，也是管道天然气和煤炭的重要来源。双方表示将继续扩大能源贸易，"
            "并在核能和新能源方面开展合作。",
            "在地方合作方面，中国东北地区和俄罗斯远东地区将加强港口、公路和物流中心建设，黑河等边境城市希望借此吸引更多"
            "投资和游客。",
            "分析人士认为，此次会晤进一步巩固了两国全面战略协作伙伴关系，双方在国际事务中也将保持密切沟通。",
        ),
        closers=(),
        outlets=("eastern-lantern",),
        fixed=True,
    ),
    Topic(
        key="zh-economy",
        countries=("CN", "US"),
        datelines=("北京",),
        titles=("上月中国工业生产增长好于预期",),
        leads=(
            "国家统计局公布的数据显示，上月中国规模以上工业增加值同比增长，新能源汽车和工业机器人产量增长较快。",
        ),
        pool=(
            "分析人士指出，尽管美国提高了关税，中国出口依然保持韧性，对东南亚和非洲的出口增长明显。",
            "消费仍然偏弱，市场预计将出台更多扶持政策。",
            "房地产投资继续下降，但降幅有所收窄。一些城市放宽了购房限制，以稳定市场信心。",
            "经济学家表示，全年经济增长目标有望实现，但外部环境依然复杂，明年面临的不确定性较多。",
            "从行业看，高技术制造业增长明显快于整体工业，集成电路、太阳能电池和新能源汽车产量保持两位数增长，而水泥和钢材"
            "产量继续下降。",
            "就业形势总体稳定，城镇调查失业率与上月持平，但青年失业率仍然较高，不少高校毕业生选择继续深造或灵活就业。",
            "股市对数据反应平淡，上海和深圳股市当天小幅收涨。",
        ),
        closers=(),
        outlets=("eastern-lantern",),
        fixed=True,
    ),
)

# Pages that do not give the pipeline a normal article (see corpus.FAILURE_MODES).
THIN_VIDEO = Topic(
    key="video-barge",
    countries=(),
    datelines=("VIENNA",),
    titles=("Watch: a century-old paddle steamer makes its last run of the season",),
    leads=("The paddle steamer's crew brought her back to the winter harbour on {weekday} morning.",),
    pool=(),
    closers=(),
    outlets=("danube-daily",),
    fixed=True,
)
# The feed summary for the thin page carries what the page does not.
THIN_VIDEO_SUMMARY = (
    "The oldest paddle steamer still working on the Danube made its last run of the season on {weekday}, "
    "carrying about two hundred passengers from Vienna to the Wachau valley and back. Her crew of nine will spend "
    "the winter repainting the hull and overhauling the engine, which was built in 1912."
)

SUBSCRIBER_BRIEFING = Topic(
    key="subscriber-briefing",
    countries=("US", "CN"),
    datelines=("WASHINGTON",),
    titles=("Subscriber briefing: what to expect from the year-end trade calendar",),
    leads=(
        "The last weeks of the year are crowded with trade deadlines, and several of them involve China and "
        "the United States, our trade team writes in this week's subscriber briefing.",
    ),
    pool=(
        "First comes the expiry of a tariff exemption for some medical supplies, which importers have asked the "
        "administration to extend. Then a review of duties on electric vehicle batteries, due before Christmas.",
        "Business lobbyists say they expect the exemptions to be extended for six months, giving negotiators "
        "more time to agree a wider package with Beijing in the new year.",
        "Farm groups will be watching for any commitment by China to buy more American soybeans, pork and "
        "sorghum, which would ease pressure on Congress to approve another round of aid.",
        "Also on the calendar is a hearing on export controls, where lawmakers are expected to press "
        "officials on how licences for chip sales to China are granted and reviewed.",
        "Our view: expect incremental steps rather than a grand bargain, with both governments keen to "
        "avoid surprises before the spring.",
    ),
    closers=("The full calendar is in the subscriber area of our website.",),
    outlets=("capital-dispatch",),
    fixed=True,
)
