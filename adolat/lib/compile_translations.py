"""Compile every .po catalogue under the given folders into .mo, with polib (pure Python).

Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine with only python3, pip
and make does not have; `make install` runs this instead: python -m adolat.lib.compile_translations
"""

import sys
from pathlib import Path

import polib


def compile_tree(root: Path) -> int:
    count = 0
    for po_path in sorted(root.rglob("*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        po = polib.pofile(str(po_path))
        po.save_as_mofile(str(mo_path))
        count += 1
    return count


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path(__file__).resolve().parents[2] / "locale"]
    total = sum(compile_tree(root) for root in roots if root.exists())
    print(f"compiled {total} translation catalogue(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
