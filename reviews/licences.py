"""The licences a contest's public release can carry (plain Python, no Django).

Each licence is named three ways: its SPDX identifier (what the portal stores and `metadata.json`
says), its display name and URL (the pages, the README and file headers), and the Hugging Face Hub's
`license:` identifier (the dataset card's YAML front matter). The organizers choose one per contest
(reviews.models.ReleaseSettings); a contest that chose none releases under DEFAULT, CC BY 4.0, the
licence the Inverse Scaling Prize released its datasets under.

    licence("CC-BY-4.0")
    # Licence(spdx="CC-BY-4.0", name="Creative Commons Attribution 4.0 International",
    #         url="https://creativecommons.org/licenses/by/4.0/", hub="cc-by-4.0")
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    spdx: str
    name: str
    url: str
    hub: str  # the Hugging Face Hub's identifier for a dataset card's `license:`


LICENCES: tuple[Licence, ...] = (
    Licence("CC-BY-4.0", "Creative Commons Attribution 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/", "cc-by-4.0"),
    Licence("CC-BY-SA-4.0", "Creative Commons Attribution Share Alike 4.0 International",
            "https://creativecommons.org/licenses/by-sa/4.0/", "cc-by-sa-4.0"),
    Licence("CC-BY-NC-4.0", "Creative Commons Attribution Non Commercial 4.0 International",
            "https://creativecommons.org/licenses/by-nc/4.0/", "cc-by-nc-4.0"),
    Licence("CC0-1.0", "Creative Commons Zero v1.0 Universal",
            "https://creativecommons.org/publicdomain/zero/1.0/", "cc0-1.0"),
    Licence("ODC-By-1.0", "Open Data Commons Attribution License v1.0",
            "https://opendatacommons.org/licenses/by/1-0/", "odc-by"),
    Licence("MIT", "MIT License", "https://opensource.org/license/mit", "mit"),
    Licence("Apache-2.0", "Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0", "apache-2.0"),
)
DEFAULT = "CC-BY-4.0"
CHOICES = [(item.spdx, f"{item.name} ({item.spdx})") for item in LICENCES]

_BY_SPDX = {item.spdx: item for item in LICENCES}


def licence(spdx: str) -> Licence:
    """The licence of this SPDX identifier; KeyError names the ones known."""
    try:
        return _BY_SPDX[spdx]
    except KeyError:
        raise KeyError(f"Unknown licence {spdx!r}; choose one of {', '.join(_BY_SPDX)}.") from None
