#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Install one collection out of the `ansible` package's wheel from PyPI (Galaxy is not reachable here).

    lab/fetch-collection.py 'ansible==12.3.0' containers.podman .build/collections
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile
import zipfile


def main():
    requirement, collection, destination = sys.argv[1:4]
    namespace, name = collection.split(".")
    prefix = "ansible_collections/%s/%s/" % (namespace, name)
    with tempfile.TemporaryDirectory(prefix="dnsops-tkey-wheel-") as work:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
                        "-d", work, requirement], check=True)
        (wheel,) = glob.glob(os.path.join(work, "*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            members = [member for member in archive.namelist() if member.startswith(prefix)]
            if not members:
                raise SystemExit("%s holds no %s" % (os.path.basename(wheel), collection))
            archive.extractall(destination, members)
    print("installed %s from %s into %s (%d files)" % (collection, requirement, destination, len(members)))


if __name__ == "__main__":
    main()
