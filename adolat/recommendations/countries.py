"""The states vocabulary: ISO 3166-1 codes with names in en/ru/tg from pycountry (iso-codes), and
the other spellings met in source files (UPR Info says "Bosnia & Herzegovina", "DPR Korea")."""

import gettext
import re
import unicodedata

# Spellings used by UPR Info, UHRI and UN documents that iso-codes does not give as a name.
ALIASES: dict[str, list[str]] = {
    "BA": ["Bosnia & Herzegovina", "Bosnia-Herzegovina"],
    "BO": ["Bolivia", "Bolivia (Plurinational State of)"],
    "BN": ["Brunei"],
    "CD": ["Democratic Republic of Congo", "Democratic Republic of the Congo", "DR Congo", "DRC"],
    "CG": ["Republic of Congo", "Republic of the Congo", "Congo"],
    "CI": ["Cote d'Ivoire", "Côte d'Ivoire", "Ivory Coast"],
    "CV": ["Cape Verde"],
    "CZ": ["Czech Republic"],
    "FM": ["Micronesia", "Micronesia (Federated States of)"],
    "GB": ["United Kingdom", "UK", "United Kingdom of Great Britain and Northern Ireland"],
    "IR": ["Iran", "Iran (Islamic Republic of)"],
    "KP": ["DPR Korea", "Democratic People's Republic of Korea", "North Korea"],
    "KR": ["Republic of Korea", "South Korea"],
    "LA": ["Laos", "Lao People's Democratic Republic", "Lao PDR"],
    "MD": ["Moldova", "Republic of Moldova"],
    "MK": ["Macedonia", "FYR Macedonia", "The former Yugoslav Republic of Macedonia", "North Macedonia"],
    "PS": ["Palestine", "State of Palestine"],
    "RU": ["Russian Federation", "Russia"],
    "SY": ["Syria", "Syrian Arab Republic"],
    "SZ": ["Swaziland", "Eswatini"],
    "TZ": ["Tanzania", "United Republic of Tanzania"],
    "TR": ["Turkey", "Türkiye"],
    "TT": ["Trinidad & Tobago"],
    "US": ["United States", "USA", "United States of America"],
    "VA": ["Holy See", "Vatican"],
    "VE": ["Venezuela", "Venezuela (Bolivarian Republic of)"],
    "VN": ["Viet Nam", "Vietnam"],
    "KN": ["St Kitts & Nevis", "Saint Kitts and Nevis"],
    "LC": ["St Lucia", "Saint Lucia"],
    "VC": ["St Vincent & the Grenadines", "Saint Vincent and the Grenadines"],
    "ST": ["Sao Tome & Principe", "Sao Tome and Principe"],
    "AG": ["Antigua & Barbuda"],
    "TL": ["Timor-Leste", "East Timor"],
    "TW": ["Taiwan"],
}


def normalise_name(name: str) -> str:
    """The key names are compared by: no accents, no case, '&' as 'and', single spaces."""
    name = unicodedata.normalize("NFKD", name or "")
    name = "".join(c for c in name if not unicodedata.combining(c)).lower()
    name = name.replace("&", " and ").replace("’", "'")
    name = re.sub(r"[^\w']+", " ", name)
    return " ".join(name.split())


def iso_rows() -> list[dict[str, str]]:
    """Every ISO 3166-1 state with names in en/ru/tg and aliases, ready to load."""
    import pycountry

    tr = {
        lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in ("ru", "tg")
    }
    rows = []
    for c in pycountry.countries:
        en = getattr(c, "common_name", None) or c.name
        others = {c.name, getattr(c, "official_name", c.name), *ALIASES.get(c.alpha_2, [])} - {en}
        rows.append(
            {
                "code": c.alpha_2,
                "name_en": en,
                "name_ru": tr["ru"].gettext(c.name),
                "name_tg": tr["tg"].gettext(c.name),
                "aliases": "\n".join(sorted(others)),
            }
        )
    return rows


def load(Country) -> int:  # noqa: N803 — takes the model class (historical in migrations)
    """Insert the states that are missing; never overwrite names an administrator edited."""
    existing = set(Country.objects.values_list("code", flat=True))
    new = [Country(**row) for row in iso_rows() if row["code"] not in existing]
    Country.objects.bulk_create(new)
    return len(new)


def lookup_table(Country) -> dict[str, str]:  # noqa: N803
    """normalised name or code → ISO code, over every language and alias."""
    table: dict[str, str] = {}
    for code, en, ru, tg, aliases in Country.objects.values_list(
        "code", "name_en", "name_ru", "name_tg", "aliases"
    ):
        for name in [code, en, ru, tg, *aliases.splitlines()]:
            if name.strip():
                table.setdefault(normalise_name(name), code)
    return table


def find_country_code(name: str, table: dict[str, str]) -> str | None:
    return table.get(normalise_name(name))
