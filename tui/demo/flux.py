"""Flux in the demo: the CRDs a given Flux release serves, and the runbook's objects.

Versions per release follow ../shared/reference/crds/served-storage-versions.yaml: the
image kinds are v1beta2 until Flux 2.7 and v1 after; OCIRepository became v1 in 2.6.
"""

from __future__ import annotations

from tui.demo.clock import now
from tui.demo.state import Cluster, Obj, Resource, now_rfc3339

CONTROLLERS = {  # the controller (its Deployment's app label in flux-system) of each kind
    "Kustomization": "kustomize-controller",
    "HelmRelease": "helm-controller",
    "ImageRepository": "image-reflector-controller",
    "ImagePolicy": "image-reflector-controller",
    "ImageUpdateAutomation": "image-automation-controller",
}
SHA = "8f3b2c1d9e0a7b6c5d4e3f2a1b0c9d8e7f6a5b4c"
REPO = "https://github.com/mercurious/fleet.git"


# The additionalPrinterColumns Flux's CRDs declare (name, type, JSONPath, priority), so
# `kubectl get ks` and `:ks` show what they show on a real cluster.
_READY = '.status.conditions[?(@.type=="Ready")]'
AGE = ("Age", "date", ".metadata.creationTimestamp", 0)
READY = ("Ready", "string", _READY + ".status", 0)
STATUS = ("Status", "string", _READY + ".message", 0)
URL = ("URL", "string", ".spec.url", 0)
COLUMNS: dict[str, tuple[tuple[str, str, str, int], ...]] = {
    "GitRepository": (URL, AGE, READY, STATUS),
    "OCIRepository": (URL, READY, STATUS, AGE),
    "HelmRepository": (URL, AGE, READY, STATUS),
    "HelmChart": (
        ("Chart", "string", ".spec.chart", 0),
        ("Version", "string", ".spec.version", 0),
        ("Source Kind", "string", ".spec.sourceRef.kind", 0),
        ("Source Name", "string", ".spec.sourceRef.name", 0),
        AGE,
        READY,
        STATUS,
    ),
    "Bucket": (("Endpoint", "string", ".spec.endpoint", 0), AGE, READY, STATUS),
    "Kustomization": (AGE, READY, STATUS),
    "HelmRelease": (AGE, READY, STATUS),
    # the image kinds at v1 (Flux 2.7 on)
    "ImageRepository": (
        ("Image", "string", ".spec.image", 0),
        ("Tags", "string", ".status.lastScanResult.tagCount", 0),
        READY,
        STATUS,
        ("Last scan", "string", ".status.lastScanResult.scanTime", 1),
        AGE,
    ),
    "ImagePolicy": (
        ("Image", "string", ".status.latestRef.name", 0),
        ("Tag", "string", ".status.latestRef.tag", 0),
        READY,
        STATUS,
        AGE,
    ),
    "ImageUpdateAutomation": (
        READY,
        STATUS,
        ("Last run", "string", ".status.lastAutomationRunTime", 1),
        AGE,
    ),
}
V1BETA2_IMAGE_COLUMNS = {
    "ImageRepository": (
        ("Last scan", "string", ".status.lastScanResult.scanTime", 0),
        ("Tags", "string", ".status.lastScanResult.tagCount", 0),
    ),
    "ImagePolicy": (("LatestImage", "string", ".status.latestImage", 0),),
    "ImageUpdateAutomation": (("Last run", "string", ".status.lastAutomationRunTime", 0),),
}


def flux_resources(release: str = "2.7") -> list[Resource]:
    major, minor = (int(x) for x in release.split(".")[:2])
    image = "v1" if (major, minor) >= (2, 7) else "v1beta2"
    oci = "v1" if (major, minor) >= (2, 6) else "v1beta2"
    src = "source.toolkit.fluxcd.io"

    def cols(kind: str, version: str) -> tuple[tuple[str, str, str, int], ...]:
        if version == "v1beta2" and kind in V1BETA2_IMAGE_COLUMNS:
            return V1BETA2_IMAGE_COLUMNS[kind]
        return COLUMNS[kind]

    def res(
        group: str, version: str, plural: str, kind: str, short: tuple[str, ...] = ()
    ) -> Resource:
        return Resource(group, version, plural, kind, True, short, columns=cols(kind, version))

    img = "image.toolkit.fluxcd.io"
    return [
        res(src, "v1", "gitrepositories", "GitRepository", ("gitrepo",)),
        res(src, oci, "ocirepositories", "OCIRepository", ("ocirepo",)),
        res(src, "v1", "helmrepositories", "HelmRepository", ("helmrepo",)),
        res(src, "v1", "helmcharts", "HelmChart", ("hc",)),
        res(src, "v1", "buckets", "Bucket"),
        res("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization", ("ks",)),
        res("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease", ("hr",)),
        res(img, image, "imagerepositories", "ImageRepository"),
        res(img, image, "imagepolicies", "ImagePolicy"),
        res(img, image, "imageupdateautomations", "ImageUpdateAutomation"),
    ]


def ready(status: str, reason: str, message: str, since: float = 3600.0) -> Obj:
    return {
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": 1,
        "lastTransitionTime": now_rfc3339(now() - since),
    }


def _obj(kind: str, name: str, spec: Obj, status: Obj, namespace: str = "flux-system") -> Obj:
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "generation": 1,
            "creationTimestamp": now_rfc3339(now() - 86400 * 212),  # as old as the cluster
            # as after `flux bootstrap`: the flux-system Kustomization applies the others
            "labels": {
                "kustomize.toolkit.fluxcd.io/name": "flux-system",
                "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
            },
        },
        "spec": spec,
        "status": {"observedGeneration": 1, **status},
        "kind": kind,
    }


SOPS_MESSAGE = (
    "decryption failed for 'Secret.v1.[noGrp]/kafka-credentials': cannot get sops data key: "
    "Failed to get the data key required to decrypt the SOPS file. Group 0: FAILED "
    "age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq: FAILED - no identity "
    "matched any of the recipients"
)


def healthy_kustomization(name: str, path: str, applied: Obj, rev: str) -> tuple[str, Obj]:
    """A Kustomization of the flux-system GitRepository that applied its revision."""
    spec = {
        "path": path,
        "prune": True,
        "interval": "10m",
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
    }
    ok = ready("True", "ReconciliationSucceeded", f"Applied revision: {rev}")
    return ("Kustomization", _obj("Kustomization", name, spec, {**applied, "conditions": [ok]}))


def flux_objects() -> list[tuple[str, Obj]]:
    rev = f"main@sha1:{SHA}"
    applied = {"lastAppliedRevision": rev, "lastAttemptedRevision": rev}
    return [
        (
            "GitRepository",
            _obj(
                "GitRepository",
                "flux-system",
                {"url": REPO, "ref": {"branch": "main"}, "interval": "1m"},
                {
                    "artifact": {
                        "revision": rev,
                        "path": f"gitrepository/flux-system/{SHA}.tar.gz",
                    },
                    "conditions": [
                        ready("True", "Succeeded", f"stored artifact for revision '{rev}'")
                    ],
                },
            ),
        ),
        healthy_kustomization("flux-system", "./clusters/production", applied, rev),
        healthy_kustomization("infrastructure", "./infrastructure", applied, rev),
        (
            "Kustomization",
            _obj(
                "Kustomization",
                "apps",
                {
                    "path": "./apps/production",
                    "prune": True,
                    "interval": "1m",  # short in the demo: drift is corrected on screen
                    "dependsOn": [{"name": "infrastructure"}],
                    "decryption": {"provider": "sops", "secretRef": {"name": "sops-age"}},
                    "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                },
                {
                    "lastAppliedRevision": f"main@sha1:{'1' * 40}",
                    "lastAttemptedRevision": rev,
                    "conditions": [ready("False", "BuildFailed", SOPS_MESSAGE, since=1800)],
                },
            ),
        ),
        (
            "HelmRepository",
            _obj(
                "HelmRepository",
                "prometheus-community",
                {"url": "https://prometheus-community.github.io/helm-charts", "interval": "1h"},
                {
                    "artifact": {"revision": "sha256:" + "ab12" * 16},
                    "conditions": [
                        ready(
                            "True",
                            "Succeeded",
                            "stored artifact: revision 'sha256:" + "ab12" * 16 + "'",
                        )
                    ],
                },
            ),
        ),
        (
            "HelmRepository",
            _obj(
                "HelmRepository",
                "strimzi",
                {"type": "oci", "url": "oci://quay.io/strimzi-helm", "interval": "1h"},
                {},
            ),
        ),
        (
            "HelmRelease",
            _obj(
                "HelmRelease",
                "kube-prometheus-stack",
                {
                    "interval": "30m",
                    "chart": {
                        "spec": {
                            "chart": "kube-prometheus-stack",
                            "version": "65.x",
                            "sourceRef": {
                                "kind": "HelmRepository",
                                "name": "prometheus-community",
                                "namespace": "flux-system",
                            },
                        }
                    },
                },
                {
                    "lastAppliedRevision": "65.5.0",
                    "conditions": [
                        ready(
                            "True",
                            "UpgradeSucceeded",
                            "Helm upgrade succeeded for release monitoring/kube-prometheus-stack.v4"
                            " with chart kube-prometheus-stack@65.5.0",
                        )
                    ],
                },
                namespace="monitoring",
            ),
        ),
        (
            "HelmRelease",
            _obj(
                "HelmRelease",
                "strimzi-kafka-operator",
                {
                    "interval": "30m",
                    "chart": {
                        "spec": {
                            "chart": "strimzi-kafka-operator",
                            "version": "0.43.0",
                            "sourceRef": {
                                "kind": "HelmRepository",
                                "name": "strimzi",
                                "namespace": "flux-system",
                            },
                        }
                    },
                },
                {
                    "lastAppliedRevision": "0.43.0",
                    "conditions": [
                        ready(
                            "True",
                            "InstallSucceeded",
                            "Helm install succeeded for release kafka/strimzi-kafka-operator.v1"
                            " with chart strimzi-kafka-operator@0.43.0",
                        )
                    ],
                },
                namespace="kafka",
            ),
        ),
        (
            "ImageRepository",
            _obj(
                "ImageRepository",
                "api-gateway",
                {"image": "registry.example.com/mercurious/api-gateway", "interval": "5m"},
                {
                    "lastScanResult": {"scanTime": now_rfc3339(now() - 120), "tagCount": 14},
                    "conditions": [ready("True", "Succeeded", "successful scan: found 14 tags")],
                },
            ),
        ),
        (
            "ImagePolicy",
            _obj(
                "ImagePolicy",
                "api-gateway",
                {
                    "imageRepositoryRef": {"name": "api-gateway"},
                    "policy": {"semver": {"range": "1.x"}},
                },
                {
                    "latestRef": {
                        "name": "registry.example.com/mercurious/api-gateway",
                        "tag": "1.8.2",
                    },
                    "latestImage": "registry.example.com/mercurious/api-gateway:1.8.2",
                    "conditions": [
                        ready(
                            "True",
                            "Succeeded",
                            "Latest image tag for registry.example.com/mercurious/api-gateway"
                            " resolved to 1.8.2",
                        )
                    ],
                },
            ),
        ),
        (
            "ImageUpdateAutomation",
            _obj(
                "ImageUpdateAutomation",
                "api-gateway",
                {"sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "interval": "30m"},
                {
                    "lastAutomationRunTime": now_rfc3339(now() - 600),
                    "conditions": [ready("True", "Succeeded", "repository up-to-date")],
                },
            ),
        ),
    ]


def seed_flux(cluster: Cluster, release: str = "2.7") -> None:
    """Install Flux's kinds of a release, the runbook's objects and the SOPS age key."""
    for r in flux_resources(release):
        cluster.add_resource(r)
    v1_images = tuple(int(x) for x in release.split(".")[:2]) >= (2, 7)
    for kind, obj in flux_objects():
        if kind.startswith("Image") and not v1_images:
            obj["status"].pop("latestRef", None)
        else:
            obj["status"].pop("latestImage", None)
        cluster.put(kind, obj)
    cluster.put(
        "Secret",
        {
            "metadata": {"name": "sops-age", "namespace": "flux-system"},
            "type": "Opaque",
            "data": {"age.agekey": "QUdFLVNFQ1JFVC1LRVktLi4uIChkZW1vKQ=="},
        },
    )
