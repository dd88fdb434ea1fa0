#!/usr/bin/env python3
"""Writes an SPDX 2.3 JSON SBOM of a container image from its dpkg database.

    dpkg-spdx.py --root ROOTFS --name IMAGE [--image-id sha256:...] [--label K=V ...]
                 [--agent-version V --agent-runtime FILE --agent-build FILE] [-o OUT]

--root is a mounted image root (`podman image mount`): its var/lib/dpkg is read with
`dpkg-query --admindir`, so any architecture's image works on any host. Every installed package
becomes an SPDX package with a Debian purl (pkg:deb/debian/NAME@VERSION?arch=A&distro=debian-X.Y)
and "built package from: SOURCE VERSION", which Trivy and Grype match against Debian's security
tracker; the image is the document's root, CONTAINS each package, and the Debian release is an
OPERATING-SYSTEM package. For the agent's image, --agent-* adds raibid-agent itself: DEPENDS_ON
the packages owning the libraries it loads (--agent-runtime, one name a line) and the -dev
packages it was compiled against as BUILD_DEPENDENCY_OF it (--agent-build, dpkg-query lines).
Both files are paths inside the image (under --root).
"""
import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import urllib.parse
import uuid

FORMAT = "${Package}\\t${Version}\\t${Architecture}\\t${source:Package}\\t${source:Version}\\t${db:Status-Abbrev}\\n"


def installed(admindir):
    out = subprocess.run(["dpkg-query", "--admindir", admindir, "-W", "-f", FORMAT],
                         check=True, capture_output=True, text=True).stdout
    return parse_lines(out, installed_only=True)


def parse_lines(text, installed_only=False):
    pkgs = []
    for line in text.splitlines():
        f = line.split("\t")
        if len(f) < 5 or not f[0]:
            continue
        if installed_only and len(f) > 5 and not f[5].startswith("ii"):
            continue
        pkgs.append({"name": f[0], "version": f[1], "arch": f[2],
                     "source": f[3] or f[0], "source_version": f[4] or f[1]})
    return pkgs


def spdx_id(kind, name):
    return "SPDXRef-%s-%s" % (kind, re.sub(r"[^A-Za-z0-9.-]", "-", name))


def deb_package(p, distro):
    purl = "pkg:deb/debian/%s@%s?arch=%s&distro=debian-%s" % (
        p["name"], urllib.parse.quote(p["version"], safe=""), p["arch"], distro)
    return {
        "name": p["name"], "SPDXID": spdx_id("Package-deb", p["name"] + "-" + p["arch"]),
        "versionInfo": p["version"], "supplier": "Organization: Debian",
        "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION",
        "sourceInfo": "built package from: %s %s" % (p["source"], p["source_version"]),
        "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                          "referenceLocator": purl}],
        "primaryPackagePurpose": "LIBRARY",
    }


def relation(a, kind, b):
    return {"spdxElementId": a, "relationshipType": kind, "relatedSpdxElement": b}


def document(args, pkgs, distro):
    name, _, tag = args.name.rpartition(":") if ":" in args.name.split("/")[-1] else (args.name, "", "")
    image = {
        "name": name, "SPDXID": "SPDXRef-Image", "versionInfo": tag or "latest",
        "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
        "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
        "copyrightText": "NOASSERTION", "primaryPackagePurpose": "CONTAINER",
    }
    if args.image_id:
        image["checksums"] = [{"algorithm": "SHA256", "checksumValue": args.image_id.split(":")[-1]}]
    if args.label:
        image["comment"] = "labels: " + ", ".join(sorted(args.label))
    osp = {"name": "debian", "SPDXID": "SPDXRef-OperatingSystem", "versionInfo": distro,
           "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
           "licenseConcluded": "NOASSERTION", "licenseDeclared": "NOASSERTION",
           "copyrightText": "NOASSERTION", "primaryPackagePurpose": "OPERATING-SYSTEM"}
    packages = [image, osp]
    rels = [relation("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"),
            relation("SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem")]
    by_name = {}
    for p in pkgs:
        d = deb_package(p, distro)
        by_name[p["name"]] = d["SPDXID"]
        packages.append(d)
        rels.append(relation("SPDXRef-Image", "CONTAINS", d["SPDXID"]))
    if args.agent_version:
        add_agent(args, distro, packages, rels, by_name)
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
        "name": args.name,
        "documentNamespace": "https://raibid.dev/spdx/%s-%s" % (
            re.sub(r"[^A-Za-z0-9.-]", "-", args.name), uuid.uuid4()),
        "creationInfo": {"created": created, "creators": ["Tool: raibid-dpkg-spdx-1"]},
        "packages": packages, "relationships": rels,
    }


def add_agent(args, distro, packages, rels, by_name):
    agent = {"name": "raibid-agent", "SPDXID": "SPDXRef-Package-raibid-agent",
             "versionInfo": args.agent_version, "downloadLocation": "NOASSERTION",
             "filesAnalyzed": False, "licenseConcluded": "NOASSERTION",
             "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION",
             "primaryPackagePurpose": "APPLICATION",
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                               "referenceLocator": "pkg:generic/raibid-agent@" + args.agent_version}]}
    packages.append(agent)
    rels.append(relation("SPDXRef-Image", "CONTAINS", agent["SPDXID"]))
    for name in read_lines(args.root, args.agent_runtime):
        if name in by_name:
            rels.append(relation(agent["SPDXID"], "DEPENDS_ON", by_name[name]))
    for p in parse_lines("\n".join(read_lines(args.root, args.agent_build))):
        d = deb_package(p, distro)
        d["SPDXID"] = spdx_id("Package-build", p["name"] + "-" + p["arch"])
        packages.append(d)
        rels.append(relation(d["SPDXID"], "BUILD_DEPENDENCY_OF", agent["SPDXID"]))


def read_lines(root, path):
    """The non-blank lines of `path`, a path inside the image mounted at `root`."""
    if not path:
        return []
    with open(os.path.join(root, path.lstrip("/"))) as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True, help="the image's root file system")
    ap.add_argument("--name", required=True, help="the image reference, e.g. raibid/rust-builder:1.63.0")
    ap.add_argument("--image-id", help="the image's id (its config digest)")
    ap.add_argument("--label", action="append", default=[], help="KEY=VALUE recorded in the SBOM")
    ap.add_argument("--agent-version")
    ap.add_argument("--agent-runtime", help="packages owning the agent's shared libraries (a file in the image)")
    ap.add_argument("--agent-build", help="dpkg-query lines of the -dev packages it was built with (in the image)")
    ap.add_argument("-o", "--output", default="-")
    args = ap.parse_args()
    pkgs = installed(os.path.join(args.root, "var/lib/dpkg"))
    if not pkgs:
        sys.exit("dpkg-spdx: no installed packages under " + args.root)
    with open(os.path.join(args.root, "etc/debian_version")) as f:
        distro = f.read().strip()
    text = json.dumps(document(args, pkgs, distro), indent=1) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
