"""Shop product pages of production size, for the `jsonld` figures: the page a watched product
URL returns, built the way shop platforms build them.

A page has what real ones carry around the few kilobytes the adapter reads: a head of meta tags,
preloads and inline critical CSS, analytics and state scripts; a header with a mega menu, a search
form and a login box (a password field on every page); breadcrumbs; the product (gallery, buy box,
variant pickers, description, specifications, microdata for the product, its offer, rating and
reviews; JSON-LD `Product` + `Offer`, a `BreadcrumbList` and the shop's `Organization`;
OpenGraph product tags); a related-products carousel; a newsletter form and a footer of links.
Reviews are added until the page reaches the size asked for.

`product(number)` gives the distinct products the bench serves; `product_page(...)` renders one.
`tests/fixtures/jsonld/shop_product_64kb.html` was rendered by this module, then left alone.
"""

from __future__ import annotations

import html
import json
import random
from dataclasses import dataclass
from decimal import Decimal

PAGE_BYTES = 64 * 1024

_BRANDS = ("Hollowpine", "Ridgeway", "Northfold", "Cairnworks", "Alder & Ash", "Tern Peak", "Sundial", "Quarry Co.")
_MODELS = ("Summit", "Trailhead", "Basecamp", "Switchback", "Ridgeline", "Meridian", "Outlier", "Traverse", "Kestrel")
_KINDS = (
    ("38L Hiking Pack", "packs", "Packs & Bags"),
    ("2-Person Backpacking Tent", "tents", "Tents & Shelters"),
    ("Down Sleeping Bag -7°C", "sleeping-bags", "Sleeping Bags"),
    ("Insulated Jacket", "jackets", "Jackets"),
    ("Trail Running Shoe", "footwear", "Footwear"),
    ("Carbon Trekking Poles", "poles", "Trekking Poles"),
    ("Titanium Cook Set", "cookware", "Camp Kitchen"),
    ("Rechargeable Headlamp 450 lm", "lighting", "Lighting"),
    ("Waterproof Rain Shell", "jackets", "Jackets"),
    ("Self-Inflating Sleeping Pad", "sleeping-pads", "Sleeping Pads"),
)
_COLOURS = ("Slate", "Moss", "Ember", "Glacier Blue", "Sandstone", "Black", "Rust", "Fjord", "Lichen", "Dusk")
_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
_MENU = {
    "Camp & Hike": ("Tents", "Sleeping Bags", "Sleeping Pads", "Backpacks", "Camp Kitchen", "Lighting", "Navigation"),
    "Climb": ("Harnesses", "Ropes", "Carabiners", "Belay Devices", "Helmets", "Chalk & Bags", "Climbing Shoes"),
    "Run": ("Trail Shoes", "Road Shoes", "Hydration Vests", "Shorts", "Running Tops", "Watches", "Headlamps"),
    "Cycle": ("Bike Bags", "Lights", "Helmets", "Jerseys", "Bib Shorts", "Tools", "Computers"),
    "Paddle": ("Kayaks", "Paddles", "Dry Bags", "PFDs", "Wetsuits", "Roof Racks", "Spray Decks"),
    "Snow": ("Skis", "Snowboards", "Avalanche Safety", "Goggles", "Gloves", "Base Layers", "Skins"),
    "Clothing": ("Jackets", "Fleece", "Base Layers", "Pants", "Shirts", "Socks", "Hats & Gloves"),
    "Sale": ("Last Chance", "Clearance Footwear", "Clearance Jackets", "Bundles", "Gift Cards", "Outlet"),
}
_COLUMN_TITLES = ("Shop by category", "Popular", "New this season")
_REVIEWERS = ("Dana K.", "Marcus T.", "Priya S.", "Jonas W.", "Aiko M.", "Elena R.", "Sam O.", "Chris B.", "Noor H.")
_REVIEW_LINES = (
    "Carried it up the West Coast Trail in a week of rain and stayed dry inside.",
    "Fit is true to size; I'm 183 cm and the medium is perfect over a fleece.",
    "Packs down smaller than my old one and the zips feel sturdy.",
    "Took a star off because the colour is darker than the photos suggest.",
    "Three seasons of weekend trips and it still looks new. Would buy again.",
    "Customer service swapped the size quickly, and shipping took two days.",
    "Lighter than expected; the compression straps are a nice touch.",
    "Used it on a hut-to-hut trip in the Dolomites: comfortable all day long.",
)
_SPEC_NAMES = (
    "Weight",
    "Packed size",
    "Materials",
    "Waterproof rating",
    "Breathability",
    "Fit",
    "Closure",
    "Pockets",
    "Care",
    "Warranty",
    "Country of origin",
    "Model year",
)
_PARAGRAPHS = (
    "Built for long days on the trail, it balances weight against durability with a ripstop shell, reinforced "
    "stress points and a layout that keeps what you need within reach.",
    "Every seam is taped and every zip is protected, so a surprise storm above the tree line is nothing more "
    "than a story to tell at camp.",
    "We test each design for a full season with our guides before it reaches the shop: what they complained "
    "about was fixed, what they loved was kept.",
    "The recycled fabrics carry the bluesign® approval, and the down is certified to the Responsible Down "
    "Standard, traceable from farm to finished product.",
)


@dataclass(frozen=True)
class ShopProduct:
    number: int
    name: str
    slug: str
    sku: str
    brand: str
    category: str
    category_slug: str
    colour: str
    price: Decimal
    regular_price: Decimal | None
    rating: float
    review_count: int


def product(number: int) -> ShopProduct:
    """The bench's product `number`: the same one on every run, a different one for every number."""
    rng = random.Random(number)
    brand, model = _BRANDS[number % len(_BRANDS)], _MODELS[(number // len(_BRANDS)) % len(_MODELS)]
    kind, category_slug, category = _KINDS[(number // 3) % len(_KINDS)]
    colour = _COLOURS[number % len(_COLOURS)]
    name = f"{brand} {model} {kind} – {colour}"
    cents = rng.randrange(1999, 59999)
    price = Decimal(cents - cents % 100 + 99) / 100  # 19.99 … 599.99
    regular = (price * Decimal("1.25")).quantize(Decimal("1.00")) if number % 4 == 0 else None
    slug = "-".join(f"{brand} {model} {kind} {colour} {number}".lower().replace("&", "and").replace("°c", "c").split())
    slug = "".join(char for char in slug if char.isalnum() or char == "-")
    return ShopProduct(
        number=number,
        name=name,
        slug=slug,
        sku=f"{brand[:3].upper()}-{model[:3].upper()}-{number:05d}",
        brand=brand,
        category=category,
        category_slug=category_slug,
        colour=colour,
        price=price,
        regular_price=regular,
        rating=round(rng.uniform(3.6, 4.9), 1),
        review_count=rng.randrange(12, 480),
    )


@dataclass(frozen=True)
class Shop:
    name: str = "Hollowpine Outfitters"
    origin: str = "https://www.hollowpine-outfitters.example"
    currency: str = "USD"
    lang: str = "en-US"


def product_page(item: ShopProduct, shop: Shop, related: list[ShopProduct], size: int = PAGE_BYTES) -> str:
    """The product's page, with as many reviews as fit in `size` bytes (UTF-8)."""
    rng = random.Random(item.number * 7919)
    reviews: list[str] = []
    length = len(_render(item, shop, related, reviews).encode())  # the reviews are joined without separators
    while True:
        review = _review(rng, len(reviews))
        if length + len(review.encode()) > size:
            return _render(item, shop, related, reviews)
        reviews.append(review)
        length += len(review.encode())


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _money(amount: Decimal, shop: Shop) -> str:
    return f"${amount:,.2f}" if shop.currency in ("USD", "CAD", "AUD") else f"{amount:,.2f} {shop.currency}"


def _url(shop: Shop, item: ShopProduct) -> str:
    return f"{shop.origin}/products/{item.slug}"


def _image(shop: Shop, item: ShopProduct, index: int, width: int) -> str:
    return f"{shop.origin}/cdn/shop/files/{item.slug}-{index}.jpg?v=17{item.number % 97:02d}&width={width}"


def _render(item: ShopProduct, shop: Shop, related: list[ShopProduct], reviews: list[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{shop.lang}" class="no-js">',
            _head(item, shop),
            '<body class="template-product" data-page-type="product">',
            '<a class="skip-link" href="#MainContent">Skip to content</a>',
            '<div class="announcement-bar" role="region" aria-label="Announcement">'
            "<p>Free shipping on orders over $75 · 60-day returns · Members earn 10 % back</p></div>",
            _header(shop),
            _breadcrumbs(item, shop),
            _main(item, shop, reviews),
            _carousel(related, shop),
            _footer(shop),
            _trailing_scripts(item, shop),
            "</body>",
            "</html>",
            "",
        ]
    )


def _head(item: ShopProduct, shop: Shop) -> str:
    url, image = _url(shop, item), _image(shop, item, 1, 1200)
    price = f"{item.price:.2f}"
    offer: dict[str, object] = {
        "@type": "Offer",
        "url": url,
        "priceCurrency": shop.currency,
        "price": price,
        "priceValidUntil": "2026-12-31",
        "itemCondition": "https://schema.org/NewCondition",
        "availability": "https://schema.org/InStock",
        "seller": {"@type": "Organization", "name": shop.name},
        "shippingDetails": {
            "@type": "OfferShippingDetails",
            "shippingRate": {"@type": "MonetaryAmount", "value": 0 if item.price >= 75 else 7.95, "currency": "USD"},
            "shippingDestination": {"@type": "DefinedRegion", "addressCountry": "US"},
            "deliveryTime": {
                "@type": "ShippingDeliveryTime",
                "handlingTime": {"@type": "QuantitativeValue", "minValue": 0, "maxValue": 1, "unitCode": "DAY"},
                "transitTime": {"@type": "QuantitativeValue", "minValue": 2, "maxValue": 5, "unitCode": "DAY"},
            },
        },
        "hasMerchantReturnPolicy": {
            "@type": "MerchantReturnPolicy",
            "applicableCountry": "US",
            "returnPolicyCategory": "https://schema.org/MerchantReturnFiniteReturnWindow",
            "merchantReturnDays": 60,
            "returnMethod": "https://schema.org/ReturnByMail",
            "returnFees": "https://schema.org/FreeReturn",
        },
    }
    if item.regular_price is not None:
        offer["priceSpecification"] = [
            {"@type": "UnitPriceSpecification", "price": price, "priceCurrency": shop.currency},
            {
                "@type": "UnitPriceSpecification",
                "priceType": "https://schema.org/StrikethroughPrice",
                "price": f"{item.regular_price:.2f}",
                "priceCurrency": shop.currency,
            },
        ]
    product_ld = {
        "@context": "https://schema.org/",
        "@type": "Product",
        "name": item.name,
        "url": url,
        "image": [_image(shop, item, index, 1200) for index in range(1, 5)],
        "description": f"{_PARAGRAPHS[item.number % len(_PARAGRAPHS)]}\n{_PARAGRAPHS[0]}",
        "sku": item.sku,
        "mpn": item.sku.replace("-", ""),
        "gtin13": f"{4006381333931 + item.number * 11:013d}",
        "color": item.colour,
        "brand": {"@type": "Brand", "name": item.brand},
        "category": item.category,
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": item.rating, "reviewCount": item.review_count},
        "offers": offer,
    }
    breadcrumbs_ld = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{shop.origin}/"},
            {
                "@type": "ListItem",
                "position": 2,
                "name": item.category,
                "item": f"{shop.origin}/collections/{item.category_slug}",
            },
            {"@type": "ListItem", "position": 3, "name": item.name, "item": url},
        ],
    }
    organization_ld = {
        "@context": "https://schema.org",
        "@graph": [
            {
                "@type": "Organization",
                "@id": f"{shop.origin}/#organization",
                "name": shop.name,
                "url": f"{shop.origin}/",
                "logo": f"{shop.origin}/cdn/shop/files/logo.svg",
                "sameAs": [
                    "https://www.instagram.example/hollowpine",
                    "https://www.youtube.example/@hollowpine",
                    "https://www.facebook.example/hollowpineoutfitters",
                ],
                "contactPoint": {"@type": "ContactPoint", "telephone": "+1-802-555-0143", "contactType": "sales"},
            },
            {
                "@type": "WebSite",
                "@id": f"{shop.origin}/#website",
                "url": f"{shop.origin}/",
                "name": shop.name,
                "potentialAction": {
                    "@type": "SearchAction",
                    "target": f"{shop.origin}/search?q={{search_term_string}}",
                    "query-input": "required name=search_term_string",
                },
            },
        ],
    }
    meta = [
        '<meta charset="utf-8">',
        '<meta http-equiv="X-UA-Compatible" content="IE=edge">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<meta name="theme-color" content="#2f4a3a">',
        f"<title>{_e(item.name)} | {_e(shop.name)}</title>",
        f'<link rel="canonical" href="{_e(url)}">',
        f'<meta name="description" content="{_e(_PARAGRAPHS[item.number % len(_PARAGRAPHS)])}">',
        f'<link rel="preconnect" href="{shop.origin}/cdn" crossorigin>',
        '<link rel="preconnect" href="https://fonts.shopcdn.example" crossorigin>',
        f'<link rel="icon" type="image/png" href="{shop.origin}/cdn/shop/files/favicon-32.png" sizes="32x32">',
        f'<link rel="apple-touch-icon" href="{shop.origin}/cdn/shop/files/apple-touch-icon.png">',
        f'<link rel="preload" as="image" href="{_e(_image(shop, item, 1, 800))}" fetchpriority="high">',
        f'<link rel="preload" as="font" href="{shop.origin}/cdn/fonts/inter-var.woff2" type="font/woff2" crossorigin>',
        f'<link rel="alternate" hreflang="en-ca" href="{shop.origin}/en-ca/products/{item.slug}">',
        f'<link rel="alternate" hreflang="en-gb" href="{shop.origin}/en-gb/products/{item.slug}">',
        f'<meta property="og:site_name" content="{_e(shop.name)}">',
        f'<meta property="og:url" content="{_e(url)}">',
        f'<meta property="og:title" content="{_e(item.name)}">',
        '<meta property="og:type" content="product">',
        f'<meta property="og:description" content="{_e(_PARAGRAPHS[0])}">',
        f'<meta property="og:image" content="{_e(image)}">',
        '<meta property="og:image:width" content="1200"><meta property="og:image:height" content="1200">',
        f'<meta property="og:price:amount" content="{item.price:.2f}">',
        f'<meta property="og:price:currency" content="{shop.currency}">',
        f'<meta property="product:brand" content="{_e(item.brand)}">',
        '<meta property="product:availability" content="in stock">',
        '<meta property="product:condition" content="new">',
        f'<meta property="product:retailer_item_id" content="{_e(item.sku)}">',
        '<meta name="twitter:card" content="summary_large_image">',
        '<meta name="twitter:site" content="@hollowpine">',
        f'<meta name="twitter:title" content="{_e(item.name)}">',
        f'<meta name="twitter:description" content="{_e(_PARAGRAPHS[0])}">',
    ]
    scripts = [
        f'<script type="application/ld+json">\n{json.dumps(product_ld, indent=2, ensure_ascii=False)}\n</script>',
        f'<script type="application/ld+json">{json.dumps(breadcrumbs_ld, ensure_ascii=False)}</script>',
        f'<script type="application/ld+json">{json.dumps(organization_ld, ensure_ascii=False)}</script>',
        "<script>document.documentElement.className = document.documentElement.className.replace('no-js', 'js');"
        "</script>",
        "<script>\nwindow.dataLayer = window.dataLayer || [];\nfunction gtag(){dataLayer.push(arguments);}\n"
        "gtag('js', new Date());\ngtag('config', 'G-HP4X1Z9Q2L', {send_page_view: false});\n"
        + "gtag('event', 'view_item', "
        + json.dumps(
            {
                "currency": shop.currency,
                "value": float(item.price),
                "items": [
                    {
                        "item_id": item.sku,
                        "item_name": item.name,
                        "item_brand": item.brand,
                        "item_category": item.category,
                        "item_variant": item.colour,
                        "price": float(item.price),
                        "quantity": 1,
                    }
                ],
            }
        )
        + ");\n</script>",
        '<script async src="https://www.googletagmanager.example/gtag/js?id=G-HP4X1Z9Q2L"></script>',
        f'<script src="{shop.origin}/cdn/shop/t/42/assets/global.js?v=1712" defer></script>',
        f'<script src="{shop.origin}/cdn/shop/t/42/assets/product-form.js?v=1712" defer></script>',
    ]
    return "\n".join(["<head>", *meta, _critical_css(), *scripts, "</head>"])


def _critical_css() -> str:
    rules = [
        ":root{--color-bg:#fbfaf7;--color-fg:#1d2521;--color-accent:#2f4a3a;--color-sale:#b3261e;"
        "--font-body:Inter,system-ui,-apple-system,Segoe UI,Roboto,sans-serif;--page-width:1320px;--gap:1.25rem}",
        "*,*::before,*::after{box-sizing:border-box}html{font-size:62.5%}body{margin:0;font:1.6rem/1.55 "
        "var(--font-body);color:var(--color-fg);background:var(--color-bg)}",
        "img{max-width:100%;height:auto;display:block}a{color:inherit;text-underline-offset:.2em}",
        ".skip-link{position:absolute;left:-9999px}.skip-link:focus{left:1rem;top:1rem;z-index:100}",
        ".announcement-bar{background:var(--color-accent);color:#fff;text-align:center;font-size:1.3rem;"
        "padding:.6rem 1rem}",
        ".site-header{display:grid;grid-template-columns:auto 1fr auto;align-items:center;gap:var(--gap);"
        "max-width:var(--page-width);margin:0 auto;padding:1.2rem 2rem}",
        ".site-header__logo svg{width:180px;height:40px}.site-search{display:flex;max-width:52rem}"
        ".site-search input{flex:1;padding:.9rem 1.2rem;border:1px solid #c9cfc9;border-radius:.4rem 0 0 .4rem}",
        ".mega-menu{display:flex;gap:2.4rem;justify-content:center;border-top:1px solid #e4e7e2;"
        "border-bottom:1px solid #e4e7e2;list-style:none;margin:0;padding:0 2rem}",
        ".mega-menu__item{position:relative}.mega-menu__panel{display:none;position:absolute;left:0;top:100%;"
        "width:56rem;grid-template-columns:repeat(3,1fr);gap:2rem;background:#fff;padding:2.4rem;"
        "box-shadow:0 1.2rem 2.4rem rgba(0,0,0,.08);z-index:20}",
        ".mega-menu__item:hover .mega-menu__panel,.mega-menu__item:focus-within .mega-menu__panel{display:grid}",
        ".header-login{display:none;position:absolute;right:2rem;top:6rem;width:32rem;background:#fff;"
        "padding:2rem;border-radius:.6rem;box-shadow:0 .8rem 2.4rem rgba(0,0,0,.12)}"
        ".header-login[open]{display:block}",
        ".breadcrumbs{max-width:var(--page-width);margin:1.6rem auto;padding:0 2rem;font-size:1.3rem}"
        ".breadcrumbs ol{display:flex;gap:.8rem;list-style:none;margin:0;padding:0}"
        ".breadcrumbs li+li::before{content:'/';margin-right:.8rem;color:#8a938c}",
        ".product{display:grid;grid-template-columns:minmax(0,7fr) minmax(0,5fr);gap:4rem;"
        "max-width:var(--page-width);margin:0 auto;padding:0 2rem}@media (max-width:989px){.product"
        "{grid-template-columns:1fr}}",
        ".product__media-list{display:grid;grid-template-columns:repeat(2,1fr);gap:1rem;list-style:none;"
        "padding:0;margin:0}.product__media-item:first-child{grid-column:span 2}",
        ".product__title{font-size:3.2rem;line-height:1.2;margin:0 0 1rem}.price{font-size:2.4rem;"
        "font-weight:600}.price--sale{color:var(--color-sale)}.price__regular s{color:#6b746d;font-weight:400}",
        ".variant-picker fieldset{border:0;padding:0;margin:0 0 1.6rem}.variant-picker label{display:"
        "inline-block;padding:.8rem 1.4rem;border:1px solid #c9cfc9;border-radius:2rem;margin:0 .6rem .6rem 0}",
        ".variant-picker input:checked+label{border-color:var(--color-fg);box-shadow:inset 0 0 0 1px "
        "var(--color-fg)}.variant-picker input{position:absolute;opacity:0}",
        ".button{display:inline-flex;align-items:center;justify-content:center;min-height:4.8rem;padding:0 "
        "3rem;border:0;border-radius:.4rem;background:var(--color-accent);color:#fff;font-weight:600;"
        "cursor:pointer}.button--secondary{background:transparent;color:var(--color-fg);box-shadow:inset 0 0 0 "
        "1px currentColor}",
        ".accordion summary{display:flex;justify-content:space-between;padding:1.4rem 0;border-top:1px solid "
        "#e4e7e2;cursor:pointer;font-weight:600}.accordion__content{padding:0 0 1.6rem}",
        ".spec-table{width:100%;border-collapse:collapse}.spec-table th,.spec-table td{text-align:left;padding:"
        ".8rem 1rem;border-bottom:1px solid #eef0ec;vertical-align:top}.spec-table th{width:35%;font-weight:500}",
        ".reviews{max-width:var(--page-width);margin:4rem auto;padding:0 2rem}.review{padding:2rem 0;"
        "border-bottom:1px solid #eef0ec}.review__stars{color:#c58b00;letter-spacing:.2rem}",
        ".carousel{max-width:var(--page-width);margin:4rem auto;padding:0 2rem;overflow:hidden}"
        ".carousel__track{display:grid;grid-auto-flow:column;grid-auto-columns:calc((100% - 4.5rem)/4);"
        "gap:1.5rem;overflow-x:auto;scroll-snap-type:x mandatory;list-style:none;padding:0}",
        ".card{scroll-snap-align:start;position:relative}.card__badge{position:absolute;top:1rem;left:1rem;"
        "background:var(--color-sale);color:#fff;font-size:1.2rem;padding:.2rem .8rem;border-radius:1rem}",
        ".card__title{font-size:1.5rem;margin:1rem 0 .4rem}.card__price{font-weight:600}.card__rating"
        "{font-size:1.3rem;color:#6b746d}",
        ".newsletter{background:#eef2ec;padding:4rem 2rem;text-align:center}.newsletter form{display:flex;"
        "gap:1rem;justify-content:center;max-width:52rem;margin:0 auto}",
        ".site-footer{background:#1d2521;color:#d7ddd8;padding:4rem 2rem 2rem}.site-footer__grid{display:"
        "grid;grid-template-columns:repeat(4,1fr);gap:3rem;max-width:var(--page-width);margin:0 auto}",
        ".site-footer a{color:#d7ddd8;text-decoration:none}.site-footer a:hover{text-decoration:underline}"
        ".payment-icons{display:flex;gap:.8rem;list-style:none;padding:0}",
        ".visually-hidden{position:absolute!important;overflow:hidden;width:1px;height:1px;margin:-1px;"
        "padding:0;border:0;clip:rect(0 0 0 0);word-wrap:normal!important}",
    ]
    return '<style data-critical="product">\n' + "\n".join(rules) + "\n</style>"


def _header(shop: Shop) -> str:
    menu = []
    for number, (top, links) in enumerate(_MENU.items()):
        slug = top.lower().replace(" & ", "-").replace(" ", "-")
        columns = []
        for column, title in enumerate(_COLUMN_TITLES):
            picked = links[column:] + links[:column]
            items = "".join(
                f'<li><a href="/collections/{slug}/{link.lower().replace(" & ", "-").replace(" ", "-")}" '
                f'data-menu-level="2">{_e(link)}</a></li>'
                for link in picked[:6]
            )
            columns.append(f'<div class="mega-menu__column"><p class="mega-menu__heading">{title}</p><ul>{items}</ul>')
            columns.append("</div>")
        menu.append(
            f'<li class="mega-menu__item"><a class="mega-menu__link" href="/collections/{slug}" '
            f'aria-expanded="false" aria-controls="MegaMenu-{number}">{_e(top)}</a>'
            f'<div class="mega-menu__panel" id="MegaMenu-{number}">{"".join(columns)}</div></li>'
        )
    return f"""<header class="site-header" role="banner">
  <a class="site-header__logo" href="/" aria-label="{_e(shop.name)}">
    <svg viewBox="0 0 180 40" role="img"><title>{_e(shop.name)}</title><path d="M8 32 20 8l12 24H8Zm6-4h12l-6-12-6 12Z"
     fill="currentColor"/><text x="40" y="27" font-size="16" fill="currentColor">{_e(shop.name)}</text></svg>
  </a>
  <form class="site-search" action="/search" method="get" role="search">
    <label class="visually-hidden" for="Search-Header">Search</label>
    <input id="Search-Header" type="search" name="q" placeholder="Search tents, jackets, brands…" autocomplete="off">
    <input type="hidden" name="options[prefix]" value="last">
    <button class="button" type="submit" aria-label="Search">Search</button>
  </form>
  <div class="site-header__icons">
    <details class="header-account"><summary>Account</summary>
      <form class="header-login" action="/account/login" method="post" accept-charset="UTF-8">
        <input type="hidden" name="form_type" value="customer_login"><input type="hidden" name="utf8" value="✓">
        <label for="HeaderEmail">Email</label>
        <input id="HeaderEmail" type="email" name="customer[email]" autocomplete="email" required>
        <label for="HeaderPassword">Password</label>
        <input id="HeaderPassword" type="password" name="customer[password]" autocomplete="current-password">
        <button class="button" type="submit">Sign in</button>
        <a href="/account/login#recover">Forgot your password?</a> · <a href="/account/register">Create account</a>
      </form>
    </details>
    <a class="site-header__cart" href="/cart" aria-label="Cart, 0 items">Cart <span class="cart-count">0</span></a>
  </div>
</header>
<nav class="site-nav" aria-label="Main"><ul class="mega-menu">{"".join(menu)}</ul></nav>"""


def _breadcrumbs(item: ShopProduct, shop: Shop) -> str:
    return f"""<nav class="breadcrumbs" aria-label="Breadcrumbs">
  <ol itemscope itemtype="https://schema.org/BreadcrumbList">
    <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">
      <a itemprop="item" href="{shop.origin}/"><span itemprop="name">Home</span></a><meta itemprop="position" content="1">
    </li>
    <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">
      <a itemprop="item" href="{shop.origin}/collections/{item.category_slug}"><span itemprop="name">{_e(item.category)}</span></a>
      <meta itemprop="position" content="2">
    </li>
    <li itemprop="itemListElement" itemscope itemtype="https://schema.org/ListItem">
      <span itemprop="name">{_e(item.name)}</span><meta itemprop="position" content="3">
    </li>
  </ol>
</nav>"""


def _main(item: ShopProduct, shop: Shop, reviews: list[str]) -> str:
    url = _url(shop, item)
    gallery = "".join(
        f'<li class="product__media-item"><img src="{_e(_image(shop, item, index, 800))}" '
        f'srcset="{_e(_image(shop, item, index, 400))} 400w, {_e(_image(shop, item, index, 800))} 800w, '
        f'{_e(_image(shop, item, index, 1200))} 1200w" sizes="(min-width: 990px) 50vw, 100vw" '
        f'alt="{_e(item.name)}, view {index}" width="1200" height="1200" loading="{"eager" if index == 1 else "lazy"}"'
        f"{' itemprop=' + chr(34) + 'image' + chr(34) if index == 1 else ''}></li>"
        for index in range(1, 7)
    )
    sale = item.regular_price is not None
    price_html = (
        f'<span class="price price--sale"><span class="visually-hidden">Sale price</span>{_money(item.price, shop)}'
        f'</span> <span class="price__regular"><span class="visually-hidden">Regular price</span>'
        f"<s>{_money(item.regular_price, shop)}</s></span>"
        if item.regular_price is not None
        else f'<span class="price">{_money(item.price, shop)}</span>'
    )
    colours = "".join(
        f'<input type="radio" id="Colour-{index}" name="Colour" value="{_e(colour)}"'
        f'{" checked" if colour == item.colour else ""}><label for="Colour-{index}">{_e(colour)}</label>'
        for index, colour in enumerate(_COLOURS[:6])
    )
    sizes = "".join(
        f'<input type="radio" id="Size-{index}" name="Size" value="{size}"{" checked" if size == "M" else ""}>'
        f'<label for="Size-{index}">{size}</label>'
        for index, size in enumerate(_SIZES)
    )
    description = "".join(f"<p>{_e(paragraph)}</p>" for paragraph in _PARAGRAPHS)
    specs = "".join(f"<tr><th scope='row'>{name}</th><td>{_spec_value(name, item)}</td></tr>" for name in _SPEC_NAMES)
    return f"""<main id="MainContent" class="content-for-layout" role="main">
<section class="product" itemscope itemtype="https://schema.org/Product" data-product-id="{8000000 + item.number}">
  <div class="product__media">
    <ul class="product__media-list">{gallery}</ul>
  </div>
  <div class="product__info">
    <p class="product__vendor" itemprop="brand" itemscope itemtype="https://schema.org/Brand"><a href="/collections/vendors?q={_e(item.brand)}"><span itemprop="name">{_e(item.brand)}</span></a></p>
    <h1 class="product__title" itemprop="name">{_e(item.name)}</h1>
    <meta itemprop="sku" content="{_e(item.sku)}"><meta itemprop="url" content="{_e(url)}">
    <div class="product__rating" itemprop="aggregateRating" itemscope itemtype="https://schema.org/AggregateRating">
      <span class="review__stars" aria-hidden="true">★★★★☆</span>
      <span itemprop="ratingValue">{item.rating}</span> out of 5 ·
      <a href="#reviews"><span itemprop="reviewCount">{item.review_count}</span> reviews</a>
    </div>
    <div class="product__price" itemprop="offers" itemscope itemtype="https://schema.org/Offer">
      {price_html}
      <meta itemprop="price" content="{item.price:.2f}"><meta itemprop="priceCurrency" content="{shop.currency}">
      <link itemprop="availability" href="https://schema.org/InStock">
      <link itemprop="itemCondition" href="https://schema.org/NewCondition">
      <p class="product__tax">Tax included. <a href="/policies/shipping-policy">Shipping</a> calculated at checkout.</p>
      {'<p class="product__badge">Sale – ends Sunday</p>' if sale else ""}
    </div>
    <form class="product-form variant-picker" action="/cart/add" method="post" enctype="multipart/form-data">
      <input type="hidden" name="form_type" value="product"><input type="hidden" name="id" value="{4200000 + item.number}">
      <fieldset><legend>Colour: <span>{_e(item.colour)}</span></legend>{colours}</fieldset>
      <fieldset><legend>Size</legend>{sizes}</fieldset>
      <label for="Quantity">Quantity</label>
      <input id="Quantity" type="number" name="quantity" value="1" min="1" max="10">
      <button class="button" type="submit" name="add">Add to cart</button>
      <button class="button button--secondary" type="button" data-wishlist="{_e(item.sku)}">Save to wishlist</button>
    </form>
    <ul class="product__perks">
      <li>Free shipping over $75 – arrives in 2–5 business days</li>
      <li>Free 60-day returns, by mail or in store</li>
      <li>Lifetime repairs at our Burlington workshop</li>
    </ul>
    <details class="accordion" open><summary>Description</summary>
      <div class="accordion__content" itemprop="description">{description}</div></details>
    <details class="accordion"><summary>Specifications</summary>
      <div class="accordion__content"><table class="spec-table"><tbody>{specs}</tbody></table></div></details>
    <details class="accordion"><summary>Shipping &amp; returns</summary>
      <div class="accordion__content"><p>Orders placed before 2 pm ship the same business day from Vermont.
      Returns are free within 60 days, unworn and with tags, or in any state within a year for store credit.</p>
      </div></details>
  </div>
  <section class="reviews" id="reviews" aria-labelledby="ReviewsHeading">
    <h2 id="ReviewsHeading">Customer reviews</h2>
    {"".join(reviews)}
    <a class="button button--secondary" href="/products/{item.slug}/reviews?page=2">Show more reviews</a>
  </section>
</section>
</main>"""


def _spec_value(name: str, item: ShopProduct) -> str:
    values = {
        "Weight": f"{600 + item.number % 900} g",
        "Packed size": f"{18 + item.number % 12} × {12 + item.number % 8} cm",
        "Materials": "Recycled 70D ripstop nylon with a PFC-free DWR; 100 % recycled polyester lining",
        "Waterproof rating": f"{10 + item.number % 20},000 mm",
        "Breathability": f"{15 + item.number % 10},000 g/m²/24 h",
        "Fit": "Regular, room for a mid layer",
        "Closure": "Two-way YKK® AquaGuard® zip",
        "Pockets": "2 hand, 1 chest, 1 internal media",
        "Care": "Machine wash cold, tumble dry low to restore the DWR",
        "Warranty": "Lifetime against defects in materials and workmanship",
        "Country of origin": "Vietnam",
        "Model year": "2025",
    }
    return _e(values[name])


def _review(rng: random.Random, index: int) -> str:
    stars = rng.randrange(3, 6)
    reviewer = _REVIEWERS[rng.randrange(len(_REVIEWERS))]
    body = " ".join(rng.sample(_REVIEW_LINES, 3))
    day = 1 + (index * 3) % 28
    return f"""<article class="review" itemprop="review" itemscope itemtype="https://schema.org/Review">
      <div class="review__stars" itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">
        <meta itemprop="ratingValue" content="{stars}"><meta itemprop="bestRating" content="5">{"★" * stars}{"☆" * (5 - stars)}
      </div>
      <h3 class="review__title" itemprop="name">{_e(body.split(".")[0])}</h3>
      <p class="review__meta">By <span itemprop="author" itemscope itemtype="https://schema.org/Person"><span
        itemprop="name">{_e(reviewer)}</span></span> on <time itemprop="datePublished" datetime="2025-0{1 + index % 9}-{day:02d}">{day} {("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep")[index % 9]} 2025</time> · Verified buyer</p>
      <p class="review__body" itemprop="reviewBody">{_e(body)}</p>
      <p class="review__helpful">Was this helpful? <button type="button" data-vote="up">Yes ({rng.randrange(0, 40)})</button>
        <button type="button" data-vote="down">No ({rng.randrange(0, 6)})</button></p>
    </article>"""


def _carousel(related: list[ShopProduct], shop: Shop) -> str:
    cards = []
    for other in related:
        badge = '<span class="card__badge">Sale</span>' if other.regular_price is not None else ""
        was = f" <s>{_money(other.regular_price, shop)}</s>" if other.regular_price is not None else ""
        cards.append(
            f"""<li class="card" data-product-id="{8000000 + other.number}">
        <a class="card__link" href="/products/{other.slug}" data-track="related">
          {badge}<img src="{_e(_image(shop, other, 1, 400))}" alt="{_e(other.name)}" width="400" height="400" loading="lazy">
          <h3 class="card__title">{_e(other.name)}</h3>
        </a>
        <p class="card__price">{_money(other.price, shop)}{was}</p>
        <p class="card__rating">{"★" * round(other.rating)}{"☆" * (5 - round(other.rating))} ({other.review_count})</p>
        <button class="button button--secondary" type="button" data-quick-add="{4200000 + other.number}">Quick add</button>
      </li>"""
        )
    return f"""<section class="carousel" aria-labelledby="RelatedHeading">
  <h2 id="RelatedHeading">You may also like</h2>
  <button class="carousel__prev" type="button" aria-label="Previous">‹</button>
  <ul class="carousel__track">{"".join(cards)}</ul>
  <button class="carousel__next" type="button" aria-label="Next">›</button>
</section>"""


def _footer(shop: Shop) -> str:
    groups = {
        "Shop": ("New arrivals", "Best sellers", "Gift cards", "Rentals", "Used gear", "Outlet", "Brands"),
        "Help": ("Contact us", "Shipping", "Returns & exchanges", "Repairs", "Size guides", "Order status", "FAQ"),
        "About": ("Our story", "Stores & events", "Sustainability", "Careers", "Press", "Affiliates", "Blog"),
    }
    columns = "".join(
        f'<div class="site-footer__column"><h2>{title}</h2><ul>'
        + "".join(
            f'<li><a href="/pages/{link.lower().replace(" & ", "-").replace(" ", "-")}">{_e(link)}</a></li>'
            for link in links
        )
        + "</ul></div>"
        for title, links in groups.items()
    )
    payments = "".join(
        f'<li><svg class="icon icon--{name}" viewBox="0 0 38 24" width="38" height="24" role="img" aria-label="{name}">'
        f'<rect width="38" height="24" rx="3" fill="#fff"/><text x="6" y="16" font-size="9">{name[:4].upper()}</text></svg></li>'
        for name in ("visa", "mastercard", "amex", "discover", "paypal", "apple-pay", "google-pay", "shop-pay")
    )
    return f"""<section class="newsletter">
  <h2>Trail notes, once a month</h2>
  <p>New gear, route ideas and member-only sales. No spam, unsubscribe any time.</p>
  <form action="/contact#newsletter" method="post"><input type="hidden" name="form_type" value="customer">
    <label class="visually-hidden" for="NewsletterEmail">Email</label>
    <input id="NewsletterEmail" type="email" name="contact[email]" placeholder="Email address" required>
    <button class="button" type="submit">Subscribe</button></form>
</section>
<footer class="site-footer" role="contentinfo">
  <div class="site-footer__grid">{columns}
    <div class="site-footer__column"><h2>Visit us</h2><address>{_e(shop.name)}<br>212 Battery Street<br>Burlington, VT 05401<br>
    <a href="tel:+18025550143">(802) 555-0143</a></address></div>
  </div>
  <ul class="payment-icons">{payments}</ul>
  <p class="site-footer__legal">© 2025 {_e(shop.name)} · <a href="/policies/privacy-policy">Privacy</a> ·
  <a href="/policies/terms-of-service">Terms</a> · <a href="/pages/accessibility">Accessibility</a></p>
</footer>"""


def _trailing_scripts(item: ShopProduct, shop: Shop) -> str:
    variants = [
        {
            "id": 4200000 + item.number * 100 + index,
            "title": f"{colour} / {size}",
            "sku": f"{item.sku}-{colour[:3].upper()}-{size}",
            "price": int(item.price * 100),
            "compare_at_price": int(item.regular_price * 100) if item.regular_price is not None else None,
            "available": (index * 7 + item.number) % 5 != 0,
            "options": [colour, size],
            "featured_image": {"src": _image(shop, item, 1 + index % 6, 800), "width": 1200, "height": 1200},
        }
        for index, (colour, size) in enumerate((c, s) for c in _COLOURS[:3] for s in _SIZES[1:5])
    ]
    state = {
        "product": {
            "id": 8000000 + item.number,
            "title": item.name,
            "handle": item.slug,
            "vendor": item.brand,
            "type": item.category,
            "tags": ["outdoor", item.category_slug, "members-10", "free-shipping"],
            "variants": variants,
        },
        "currency": {"active": shop.currency, "rate": "1.0"},
        "locale": shop.lang,
    }
    return f"""<script id="ProductJSON" type="application/json">{json.dumps(state, ensure_ascii=False)}</script>
<script>
(function () {{
  var track = document.querySelector('.carousel__track');
  if (!track) return;
  var step = function (direction) {{
    var card = track.querySelector('.card');
    track.scrollBy({{left: direction * (card ? card.getBoundingClientRect().width + 15 : 300), behavior: 'smooth'}});
  }};
  document.querySelector('.carousel__prev').addEventListener('click', function () {{ step(-1); }});
  document.querySelector('.carousel__next').addEventListener('click', function () {{ step(1); }});
  document.querySelectorAll('[data-quick-add]').forEach(function (button) {{
    button.addEventListener('click', function () {{
      fetch('/cart/add.js', {{method: 'POST', headers: {{'Content-Type': 'application/json'}},
        body: JSON.stringify({{items: [{{id: Number(button.dataset.quickAdd), quantity: 1}}]}})}})
        .then(function (response) {{ return response.json(); }})
        .then(function () {{ document.dispatchEvent(new CustomEvent('cart:refresh')); }});
    }});
  }});
}})();
</script>
<script>
window.CookieConsent = {{"regions": ["EU", "GB", "CA-QC"], "categories": ["necessary", "analytics", "marketing"],
  "policy": "/policies/privacy-policy", "version": 7}};
</script>"""
