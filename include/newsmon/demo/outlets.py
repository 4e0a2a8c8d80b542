"""The demo's fictional outlets: who they are, and the page chrome each wraps around its stories.

Every outlet words its own donation appeal, newsletter box, comment prompt and cookie notice, and most mark
them up the way real sites do (class="donation-appeal", "newsletter-signup", aria-label="Share" ...). Danube
Daily's appeal is plain paragraphs inside the article body with no telltale markup, so only the cleaner's
repetition layer can find it. The appeals name countries on purpose ("Americans", "US history", "Russia"):
boilerplate that is not removed pollutes the counts, as in ../shared/seed/.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outlet:
    key: str  # URL prefix on the demo server
    name: str
    country: str  # ISO 3166-1 alpha-2
    kind: str  # wire, western, russian, chinese, regional
    state_affiliated: bool
    domain: str  # the outlet's notional home, used in GUIDs and JSON-LD publisher ids
    tagline: str
    nav: tuple[str, ...]
    authors: tuple[str, ...]
    appeal_heading: str
    appeal: tuple[str, ...]  # paragraphs of the donation/subscription appeal placed inside the article body
    appeal_marked: bool  # False: plain <p> paragraphs, no telltale class or heading
    newsletter: tuple[str, str, str]  # heading, text, button
    comments: tuple[str, str]  # heading, prompt
    toast: str  # registration toast
    cookie: str
    related_heading: str
    most_read_heading: str
    footer: tuple[str, ...]
    dateline_style: str  # "wire": "CITY (Meridian Wire) — ", "plain": "CITY — ", "none": no dateline
    curly_quotes: bool  # typographic quotes and apostrophes in the story text
    json_ld: bool
    css_prefix: str  # class-name prefix, so each site's markup differs like real sites


OUTLETS: tuple[Outlet, ...] = (
    Outlet(
        key="meridian-wire",
        name="Meridian Wire",
        country="GB",
        kind="wire",
        state_affiliated=False,
        domain="meridianwire.example",
        tagline="Independent news agency since 1931",
        nav=("World", "Business", "Markets", "Politics", "Technology", "Environment", "Sport"),
        authors=("Tobias Ferrant", "Alicia Brandt", "Samuel Osei", "Nadia Kovac"),
        appeal_heading="Support trusted reporting",
        appeal=(
            "Meridian Wire reporters work in more than 120 cities, from Washington to Beijing. Our journalism "
            "reaches billions of readers through the outlets that subscribe to it, and Americans, Europeans and "
            "Asians rely on it every day.",
            "Become a Meridian Wire member for less than the price of a coffee a week and help keep independent "
            "news flowing.",
        ),
        appeal_marked=True,
        newsletter=(
            "The Morning Wire",
            "Five stories that matter before your first meeting, every weekday at 6am.",
            "Sign up",
        ),
        comments=("Comments", "Join the conversation. Comments are reviewed before they appear."),
        toast="You have read 3 of 5 free stories this month. Register for unlimited access.",
        cookie="We use cookies to personalise content and analyse our traffic. Accept all cookies?",
        related_heading="More from Meridian Wire",
        most_read_heading="Most read",
        footer=("About Meridian Wire", "Licensing", "Corrections", "Privacy", "Terms of use", "Contact"),
        dateline_style="wire",
        curly_quotes=False,
        json_ld=True,
        css_prefix="mw",
    ),
    Outlet(
        key="harbor-ledger",
        name="Harbor Ledger",
        country="US",
        kind="western",
        state_affiliated=False,
        domain="harborledger.example",
        tagline="News, markets and ideas from the waterfront",
        nav=("Home", "US", "World", "Business", "Opinion", "Climate", "Culture", "Podcasts"),
        authors=("Grace Whitlock", "Daniel Mercado", "Rebecca Sato", "Owen Gallagher"),
        appeal_heading="Your support keeps us on the story",
        appeal=(
            "The Harbor Ledger has covered the waterfront and the world for four generations, through some of "
            "the great turning points in US history. Americans of every political stripe read us, and we have "
            "never put our reporting behind a paywall.",
            "If you can, make a one-time or monthly contribution today. Every dollar goes to journalism.",
        ),
        appeal_marked=True,
        newsletter=(
            "The Ledger Daily",
            "Our editors pick the day's essential reads on America and the world. Free, every evening.",
            "Subscribe",
        ),
        comments=("Join the conversation", "Comments are open to registered readers. Be civil."),
        toast="Thank you for registering. Please refresh the page to be logged in.",
        cookie="This site uses cookies. By continuing to browse you agree to our use of cookies.",
        related_heading="Related stories",
        most_read_heading="Trending on Harbor Ledger",
        footer=("About us", "Ethics policy", "Advertise", "Careers", "Privacy notice", "Help"),
        dateline_style="plain",
        curly_quotes=True,
        json_ld=True,
        css_prefix="hl",
    ),
    Outlet(
        key="capital-dispatch",
        name="Capital Dispatch",
        country="US",
        kind="western",
        state_affiliated=False,
        domain="capitaldispatch.example",
        tagline="Politics and policy from Washington",
        nav=("Congress", "White House", "Courts", "Foreign Policy", "Economy", "Elections", "Newsletters"),
        authors=("Marcus Bell", "Eleanor Vance", "Julian Ortiz", "Hannah Lindqvist"),
        appeal_heading="Democracy needs a watchdog",
        appeal=(
            "Capital Dispatch is nonprofit and reader-funded. We hold the powerful in Washington to account for "
            "all Americans, whatever their politics, and we publish the documents behind our stories.",
            "Join the 40,000 members who make this work possible. Give today and your gift will be matched.",
        ),
        appeal_marked=True,
        newsletter=(
            "Dispatch Daily",
            "What happened in Congress and the White House today, in five minutes.",
            "Get the newsletter",
        ),
        comments=("Reader comments", "Share your view. Comments close after 48 hours."),
        toast="Create a free account to save articles and follow topics.",
        cookie="We and our partners use cookies. Manage your preferences.",
        related_heading="Read next",
        most_read_heading="Most popular",
        footer=("About", "Our funders", "Masthead", "Corrections policy", "Privacy", "Donate"),
        dateline_style="plain",
        curly_quotes=True,
        json_ld=True,
        css_prefix="cd",
    ),
    Outlet(
        key="steppe-courier",
        name="Steppe Courier",
        country="RU",
        kind="russian",
        state_affiliated=True,
        domain="steppecourier.example",
        tagline="Russia and the world",
        nav=("Russia", "World", "Economy", "Society", "Science", "Sport", "Multimedia"),
        authors=("Anton Belov", "Irina Sokolova", "Pavel Dronov"),
        appeal_heading="Follow Steppe Courier",
        appeal=(
            "Get the news from Russia that Western media will not show you. Subscribe to our channels and read "
            "Steppe Courier in English, Russian, Chinese and Arabic.",
            "Our correspondents report from Moscow, Beijing, Washington and 40 other cities.",
        ),
        appeal_marked=True,
        newsletter=(
            "Courier Digest",
            "The main events in Russia and the world, delivered every morning.",
            "Subscribe",
        ),
        comments=("Comments", "Log in to leave a comment."),
        toast="Stay informed: turn on notifications for breaking news.",
        cookie="The site uses cookies and metrics services. OK",
        related_heading="See also",
        most_read_heading="Most read",
        footer=("About the agency", "Editorial policy", "Advertising", "Contacts", "Terms of use"),
        dateline_style="plain",
        curly_quotes=False,
        json_ld=True,
        css_prefix="sc",
    ),
    Outlet(
        key="pacific-sentinel",
        name="Pacific Sentinel",
        country="SG",
        kind="regional",
        state_affiliated=False,
        domain="pacificsentinel.example",
        tagline="Asia-Pacific news and analysis",
        nav=("Asia", "China", "Southeast Asia", "World", "Business", "Tech", "Opinion", "Lifestyle"),
        authors=("Wei Jie Lim", "Ananya Krishnan", "Joel Santos", "Harriet Cho"),
        appeal_heading="Subscribe to the Sentinel",
        appeal=(
            "Understand Asia's place in a world shaped by China, Russia and the United States. Sentinel "
            "subscribers get unlimited articles, our daily markets briefing and access to the archive.",
            "Start with one month free. Cancel any time.",
        ),
        appeal_marked=True,
        newsletter=(
            "Asia at Dawn",
            "The region's top stories and what they mean, before the markets open.",
            "Sign me up",
        ),
        comments=("Comments", "Join the conversation. Subscribers can comment on all stories."),
        toast="Welcome back. Sign in to continue reading across your devices.",
        cookie="We use cookies to improve your experience on our site. Learn more.",
        related_heading="Related",
        most_read_heading="Most read in Asia",
        footer=("About the Sentinel", "Subscriptions", "Advertise", "Privacy policy", "Terms", "Contact us"),
        dateline_style="plain",
        curly_quotes=True,
        json_ld=True,
        css_prefix="ps",
    ),
    Outlet(
        key="danube-daily",
        name="Danube Daily",
        country="AT",
        kind="regional",
        state_affiliated=False,
        domain="danubedaily.example",
        tagline="Central Europe in English",
        nav=("News", "Vienna", "Budapest", "Bratislava", "Business", "Culture", "Sport"),
        authors=("Katharina Wolf", "Peter Szabo", "Lena Horvath"),
        appeal_heading="",
        appeal=(
            "Danube Daily is free to read for everyone, from Vienna to Washington. More than a million readers, "
            "Europeans and Americans among them, read us every month, and the Russian and Chinese editions of "
            "our newsletter keep growing.",
            "We have no billionaire owner. If you value independent reporting from Central Europe, please "
            "support us with a small monthly contribution.",
        ),
        appeal_marked=False,
        newsletter=(
            "The Danube Briefing",
            "Central Europe's news in English, every morning.",
            "Sign up",
        ),
        comments=("Comments", "Join the conversation"),
        toast="Register for free to read more stories.",
        cookie="Cookies help us deliver our services. OK",
        related_heading="More stories",
        most_read_heading="Popular now",
        footer=("Imprint", "About us", "Advertising", "Data protection", "Contact"),
        dateline_style="none",
        curly_quotes=False,
        json_ld=False,
        css_prefix="dd",
    ),
    Outlet(
        key="eastern-lantern",
        name="Eastern Lantern",
        country="CN",
        kind="chinese",
        state_affiliated=True,
        domain="easternlantern.example",
        tagline="China news for the world",
        nav=("China", "World", "Business", "Opinion", "Culture", "Travel", "Video"),
        authors=("Zhang Wenhui", "Liu Mingyue", "Chen Haoran"),
        appeal_heading="Download the Eastern Lantern app",
        appeal=(
            "Tell China's story well: read Eastern Lantern on your phone for breaking news from Beijing, "
            "Shanghai and around the world, with video and live coverage.",
            "Chinese and international readers in 150 countries follow us.",
        ),
        appeal_marked=True,
        newsletter=(
            "Lantern Weekly",
            "The best of our China coverage, every Friday.",
            "Subscribe",
        ),
        comments=("Comments", "Please observe the community rules when commenting."),
        toast="Register to receive personalised news.",
        cookie="This website uses cookies to ensure you get the best experience.",
        related_heading="Related news",
        most_read_heading="Most viewed",
        footer=("About us", "Contact us", "Copyright", "Privacy"),
        dateline_style="plain",
        curly_quotes=False,
        json_ld=True,
        css_prefix="el",
    ),
)

OUTLETS_BY_KEY: dict[str, Outlet] = {o.key: o for o in OUTLETS}
