"""Print every component family and its registered names (the default marked with *).

python -m ttsf.bin.list_plugins [--plugins my_pkg.my_module ...]
"""

import argparse
import sys

from ttsf.config import import_plugins
from ttsf.registry import all_registries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--plugins", nargs="*", default=[], help="extra plugin modules to import")
    args = parser.parse_args(argv)
    import_plugins({"plugins": args.plugins})
    for family, registry in all_registries().items():
        names = [f"{n}*" if n == registry.default else n for n in registry.names()]
        print(f"{family:18s} {' '.join(names) if names else '(none registered)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
