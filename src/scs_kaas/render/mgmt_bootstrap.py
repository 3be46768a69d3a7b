# ruff: noqa: E501 -- the script's lines hold whole release URLs, easier to check unbroken
"""The management host's bootstrap script, run once by cloud-init's runcmd.

It is static text: everything that varies (versions, MTU, user, what pip installs) comes from
`/etc/scs-kaas/bootstrap.env`, rendered by `render.cloud_init`. One script with `set -e` rather
than many runcmd lines, because cloud-init carries on after a failed runcmd line and would still
print its final message; here the first failure stops the bootstrap and leaves the FAILED marker
that `kaas mgmt wait` reports.
"""

from __future__ import annotations

from scs_kaas.ssh.hostkeys import OUR_BEGIN, OUR_END

ENV_FILE = "/etc/scs-kaas/bootstrap.env"
KIND_CONFIG = "/etc/scs-kaas/kind-config.yaml"
SCRIPT = "/usr/local/sbin/kaas-bootstrap"
HOST_KEYS_SCRIPT = "/usr/local/sbin/kaas-publish-host-keys"
EXTENSIONS_DIR = "/opt/scs-kaas/extensions"
MARKER_DIR = "/var/lib/scs-kaas"
DONE_MARKER = f"{MARKER_DIR}/bootstrap-done"
FAILED_MARKER = f"{MARKER_DIR}/bootstrap-failed"
OUTPUT_LOG = "/var/log/cloud-init-output.log"
# The kind API server listens here on the host only; `kaas mgmt kubeconfig` tunnels to it.
KIND_API_PORT = 6443

# The first runcmd command. cloud-init makes the host keys in its init stage (module `ssh`) and
# runs runcmd in its final stage, so they exist by then; its own keys_to_console block comes
# only after runcmd, at the end of a boot that takes many minutes, while `kaas mgmt wait` must
# SSH during it. Nova's console log (the serial port) is what `kaas mgmt` reads them from.
PUBLISH_HOST_KEYS_SCRIPT = f"""#!/bin/sh
# scs-kaas: print this host's SSH public keys to the console (rendered by scs_kaas.render.cloud_init)
block() {{
    echo "{OUR_BEGIN}"
    for key in /etc/ssh/ssh_host_*key.pub; do
        [ -f "$key" ] && cut -d' ' -f1,2 "$key"
    done
    echo "{OUR_END}"
}}
for console in /dev/console /dev/ttyS0; do
    # a console with no device behind it fails or blocks: never hold up the boot for it
    [ -c "$console" ] && block | timeout 10 tee "$console" >/dev/null 2>&1 || true
done
echo "scs-kaas: SSH host keys written to the console"
"""

BOOTSTRAP_SCRIPT = r"""#!/bin/bash
# scs-kaas management host bootstrap (rendered by scs_kaas.render.cloud_init; runs once).
set -euo pipefail
source /etc/scs-kaas/bootstrap.env

mkdir -p "$MARKER_DIR"
rm -f "$MARKER_DIR/bootstrap-done" "$MARKER_DIR/bootstrap-failed"
trap 'echo "scs-kaas: bootstrap FAILED (line $LINENO)" >&2; touch "$MARKER_DIR/bootstrap-failed"' ERR
step() { echo "scs-kaas: $*"; }
# As the login user, whose ~/.kube/config kind writes and kubectl, clusterctl and extensions read.
as_user() { sudo -u "$KAAS_USER" -H "$@"; }

ARCH=$(dpkg --print-architecture)        # amd64 or arm64: the names most releases use
case "$ARCH" in amd64) UNAME_ARCH=x86_64 ;; *) UNAME_ARCH=$ARCH ;; esac
TMP=$(mktemp -d)
fetch() { curl -fsSL --retry 5 --retry-delay 3 -o "$2" "$1"; }
# verify FILE URL [NAME]: compare with the sha256 the release publishes next to the file.
verify() {
    local expected
    expected=$(curl -fsSL --retry 5 "$2" | awk -v name="${3:-}" 'name == "" || $2 == name || $2 == "*" name {print $1; exit}')
    [ -n "$expected" ] && echo "$expected  $1" | sha256sum --check --quiet -
}
install_bin() { install -m 0755 "$1" "/usr/local/bin/$2"; }

step "conntrack: nf_conntrack loaded, nf_conntrack_max raised for kube-proxy in kind"
modprobe nf_conntrack
sysctl -p /etc/sysctl.d/90-conntrack_max.conf

step "docker with MTU $MTU"
usermod -aG docker "$KAAS_USER"
systemctl restart docker

step "kubectl $KUBECTL_VERSION"
fetch "https://dl.k8s.io/release/$KUBECTL_VERSION/bin/linux/$ARCH/kubectl" "$TMP/kubectl"
verify "$TMP/kubectl" "https://dl.k8s.io/release/$KUBECTL_VERSION/bin/linux/$ARCH/kubectl.sha256"
install_bin "$TMP/kubectl" kubectl

step "kind $KIND_VERSION"
fetch "https://kind.sigs.k8s.io/dl/$KIND_VERSION/kind-linux-$ARCH" "$TMP/kind"
verify "$TMP/kind" "https://kind.sigs.k8s.io/dl/$KIND_VERSION/kind-linux-$ARCH.sha256sum"
install_bin "$TMP/kind" kind

step "clusterctl $CLUSTER_API_VERSION"
fetch "https://github.com/kubernetes-sigs/cluster-api/releases/download/$CLUSTER_API_VERSION/clusterctl-linux-$ARCH" "$TMP/clusterctl"
install_bin "$TMP/clusterctl" clusterctl

step "helm $HELM_VERSION"
fetch "https://get.helm.sh/helm-$HELM_VERSION-linux-$ARCH.tar.gz" "$TMP/helm.tgz"
verify "$TMP/helm.tgz" "https://get.helm.sh/helm-$HELM_VERSION-linux-$ARCH.tar.gz.sha256sum"
tar -xzf "$TMP/helm.tgz" -C "$TMP" "linux-$ARCH/helm"
install_bin "$TMP/linux-$ARCH/helm" helm

step "k9s $K9S_VERSION"
fetch "https://github.com/derailed/k9s/releases/download/$K9S_VERSION/k9s_Linux_$ARCH.tar.gz" "$TMP/k9s.tgz"
verify "$TMP/k9s.tgz" "https://github.com/derailed/k9s/releases/download/$K9S_VERSION/checksums.sha256" "k9s_Linux_$ARCH.tar.gz"
tar -xzf "$TMP/k9s.tgz" -C "$TMP" k9s
install_bin "$TMP/k9s" k9s

step "cilium CLI $CILIUM_CLI_VERSION"
fetch "https://github.com/cilium/cilium-cli/releases/download/$CILIUM_CLI_VERSION/cilium-linux-$ARCH.tar.gz" "$TMP/cilium.tgz"
verify "$TMP/cilium.tgz" "https://github.com/cilium/cilium-cli/releases/download/$CILIUM_CLI_VERSION/cilium-linux-$ARCH.tar.gz.sha256sum"
tar -xzf "$TMP/cilium.tgz" -C "$TMP" cilium
install_bin "$TMP/cilium" cilium

step "hydrophone $HYDROPHONE_VERSION (conformance tests)"
fetch "https://github.com/kubernetes-sigs/hydrophone/releases/download/$HYDROPHONE_VERSION/hydrophone_Linux_$UNAME_ARCH.tar.gz" "$TMP/hydrophone.tgz"
tar -xzf "$TMP/hydrophone.tgz" -C "$TMP" hydrophone
install_bin "$TMP/hydrophone" hydrophone

step "kind network with MTU $MTU and the management cluster"
# kind takes an existing network called `kind` as it is: made here, it carries the cloud's MTU.
docker network inspect kind >/dev/null 2>&1 \
    || docker network create --opt "com.docker.network.driver.mtu=$MTU" kind
if ! as_user kind get clusters | grep -qx kind; then
    as_user kind create cluster --name kind --config /etc/scs-kaas/kind-config.yaml --wait 5m
fi

step "ORC $ORC_VERSION (CAPO's controllers need its Image CRD to start)"
as_user kubectl apply --server-side --force-conflicts \
    -f "https://github.com/k-orc/openstack-resource-controller/releases/download/$ORC_VERSION/install.yaml"

step "clusterctl init: Cluster API $CLUSTER_API_VERSION, CAPO $CAPO_VERSION, CAAPH $CAAPH_VERSION"
if ! as_user kubectl get namespace capo-system >/dev/null 2>&1; then
    as_user clusterctl init \
        --core "cluster-api:$CLUSTER_API_VERSION" \
        --bootstrap "kubeadm:$CLUSTER_API_VERSION" \
        --control-plane "kubeadm:$CLUSTER_API_VERSION" \
        --infrastructure "openstack:$CAPO_VERSION" \
        --addon "helm:$CAAPH_VERSION" \
        --wait-providers --wait-provider-timeout 600
fi

step "scs-kaas ($KAAS_REQUIREMENT)"
python3 -m venv /opt/scs-kaas/venv
/opt/scs-kaas/venv/bin/pip install --quiet "$KAAS_REQUIREMENT"
ln -sf /opt/scs-kaas/venv/bin/kaas /usr/local/bin/kaas

step "extensions"
if [ -d "$EXTENSIONS_DIR" ]; then
    find "$EXTENSIONS_DIR" -maxdepth 1 -type f -perm -u+x -print0 | sort -z \
        | while IFS= read -r -d '' extension; do
            step "extension $(basename "$extension")"
            (cd "$KAAS_HOME" && as_user "$extension")
        done
fi

rm -rf "$TMP"
touch "$MARKER_DIR/bootstrap-done"
step "bootstrap complete"
"""
