#!/usr/bin/env bash
# The Debian packages the tests use besides Node: a real Redis (SAML request ids across replicas,
# the Redis transport), NATS and RabbitMQ (the message transports),
# SimpleSAMLphp served by PHP's own server (the IdP of the browser test; php8.2-xml is needed but
# not declared by simplesamlphp; micro-httpd stands for the web server simplesamlphp depends on, which
# would otherwise be apache2), and Chromium (driven by playwright-core). Skips what is there. Needs
# root or sudo, for apt-get.
set -euo pipefail

packages=(redis-server nats-server rabbitmq-server simplesamlphp php-cli php8.2-cgi php8.2-xml micro-httpd chromium)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "test packages: all installed (${packages[*]})"
  exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "test packages: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
