#!/usr/bin/env bash
# The package as users receive it: `npm pack` installed into clean consumer apps, one ESM and one
# CommonJS (Node 20.19+ require() of the ESM package), each type-checked strictly (skipLibCheck:
# false) and run: the module boots, refuses /hello without a token and greets with one; and each
# app's own test of a guarded controller, on the testing kit (microkubes-nestjs/testing): Jest in
# ESM mode for the ESM app, node:test for the CommonJS one. Then an install from a git URL (which
# builds dist/ through `prepare`), @nestjs/graphql 14 beside the module without a peer conflict,
# none of the optional peers in an HTTP-only app, and an app with GraphQL and a socket.io gateway
# on microkubes-nestjs/graphql and /socket.io, a TCP handler called with a relayed caller on
# microkubes-nestjs/microservices, and a Swagger document on microkubes-nestjs/swagger. Needs the npm
# registry; takes a few minutes.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version_of() { node -p "require('$repo/package.json').devDependencies['$1']"; }

echo "package: packing"
tarball="$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)"
listing="$(tar -tzf "$work/$tarball")"
grep -qx 'package/dist/index.d.ts' <<<"$listing"
grep -qx 'package/LICENSE' <<<"$listing"
# The source maps point at lib/*.ts: the sources ship with them.
grep -qx 'package/lib/index.ts' <<<"$listing"
! grep -q 'tsbuildinfo' <<<"$listing"

# A consumer app: $1 its folder, $2 "module" or "commonjs", $3 what to install as microkubes-nestjs,
# $4 its own tests' runner: jest, node or none.
consumer() {
  local dir="$1" type="$2" source="$3" runner="$4" runnerDependencies=""
  mkdir -p "$dir/src"
  if [ "$runner" = jest ]; then
    runnerDependencies=", \"jest\": \"^30\", \"ts-jest\": \"^29.4\", \"@jest/globals\": \"^30\""
  fi
  cat >"$dir/package.json" <<JSON
{
  "name": "consumer-$type", "version": "1.0.0", "private": true, "type": "$type",
  "allowScripts": { "microkubes-nestjs": true },
  "dependencies": {
    "microkubes-nestjs": "$source",
    "@nestjs/common": "$(version_of @nestjs/common)", "@nestjs/core": "$(version_of @nestjs/core)",
    "@nestjs/platform-express": "$(version_of @nestjs/platform-express)",
    "reflect-metadata": "$(version_of reflect-metadata)", "rxjs": "$(version_of rxjs)"
  },
  "devDependencies": {
    "@nestjs/testing": "$(version_of @nestjs/testing)",
    "typescript": "$(version_of typescript)", "@types/node": "$(version_of @types/node)"$runnerDependencies
  }
}
JSON
  cat >"$dir/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "nodenext", "moduleResolution": "nodenext", "strict": true,
    "skipLibCheck": false, "experimentalDecorators": true, "emitDecoratorMetadata": true,
    "esModuleInterop": true, "isolatedModules": true, "types": ["node"], "rootDir": "src", "outDir": "dist"
  },
  "include": ["src"]
}
JSON
  cp "$repo/test/package/consumer-main.ts" "$dir/src/main.ts"
  cp "$repo/test/package/admin.controller.ts" "$dir/src/"
  [ "$runner" = none ] || cp "$repo/test/package/admin.$runner.test.ts" "$dir/src/"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >"$dir/install.log" 2>&1) || { cat "$dir/install.log"; return 1; }
  (cd "$dir" && npx tsc -p .) || { echo "package: the $type consumer does not type-check"; return 1; }
  (cd "$dir" && node dist/main.js) || { echo "package: the $type consumer does not run"; return 1; }
  case "$runner" in
    jest)
      # NestJS 12 is ESM only: Jest runs ESM with --experimental-vm-modules, ts-jest with useESM.
      cat >"$dir/jest.config.mjs" <<'JS'
export default {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.jest.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
};
JS
      (cd "$dir" && NODE_OPTIONS=--experimental-vm-modules npx jest 2>&1) || { echo "package: the $type consumer's Jest test fails"; return 1; } ;;
    node)
      (cd "$dir" && node --test dist/admin.node.test.js) || { echo "package: the $type consumer's node:test test fails"; return 1; } ;;
  esac
}

echo "package: an ESM consumer app (type: module), strict types"
consumer "$work/esm" module "file:$work/$tarball" jest
# An HTTP-only app gets none of the optional peers (GraphQL, WebSockets) and never loads them.
for optional in @nestjs/graphql @nestjs/websockets @nestjs/platform-socket.io @nestjs/platform-ws @nestjs/microservices @nestjs/swagger graphql socket.io; do
  [ ! -e "$work/esm/node_modules/$optional" ] || { echo "package: an HTTP-only app has $optional installed"; exit 1; }
done
echo "package: a CommonJS consumer app (no type: module), strict types, require() of the ESM package"
consumer "$work/cjs" commonjs "file:$work/$tarball" node

echo "package: installed from a git URL, built by prepare"
git clone --quiet --no-local "$repo" "$work/repo"
consumer "$work/git" module "git+file://$work/repo" none
test -f "$work/git/node_modules/microkubes-nestjs/dist/index.js"

echo "package: @nestjs/graphql 14 beside the module, without a peer conflict"
(cd "$work/esm" && npm install --no-audit --no-fund "@nestjs/graphql@^14" "graphql@^16" >"$work/graphql.log" 2>&1) || { cat "$work/graphql.log"; exit 1; }
if grep -q 'ERESOLVE' "$work/graphql.log"; then cat "$work/graphql.log"; echo 'package: ERESOLVE beside @nestjs/graphql 14'; exit 1; fi
(cd "$work/esm" && npm ls --all >/dev/null) || { (cd "$work/esm" && npm ls --all | grep -iE 'invalid|missing|ERR' | head); echo 'package: npm ls fails beside @nestjs/graphql 14'; exit 1; }
[ "$(cd "$work/esm" && find node_modules -path '*/@nestjs/graphql/package.json' | wc -l)" = 1 ] || { echo 'package: a second @nestjs/graphql is nested'; exit 1; }

echo "package: GraphQL (Apollo, graphql-ws) and socket.io through microkubes-nestjs/graphql and /socket.io, strict types"
realtime=(@nestjs/apollo @apollo/server @as-integrations/express5 @nestjs/websockets @nestjs/platform-socket.io socket.io-client)
(cd "$work/esm" && npm install --no-audit --no-fund --loglevel=error $(for p in "${realtime[@]}"; do printf '%s@%s ' "$p" "$(version_of "$p")"; done) >"$work/realtime.log" 2>&1) || { cat "$work/realtime.log"; exit 1; }
cp "$repo/test/package/consumer-realtime.ts" "$work/esm/src/"
# @nestjs/apollo's and @nestjs/graphql's own declarations name packages they do not install
# (@apollo/gateway, ts-morph): this app's libraries are not checked, its code is, strictly.
(cd "$work/esm" && npx tsc -p . --skipLibCheck) || { echo 'package: the GraphQL/socket.io consumer does not type-check'; exit 1; }
(cd "$work/esm" && node dist/consumer-realtime.js) || { echo 'package: the GraphQL/socket.io consumer does not run'; exit 1; }
echo "package: a TCP message handler called with the caller relayed, through microkubes-nestjs/microservices, strict types"
(cd "$work/esm" && npm install --no-audit --no-fund --loglevel=error "@nestjs/microservices@$(version_of @nestjs/microservices)" >"$work/rpc.log" 2>&1) || { cat "$work/rpc.log"; exit 1; }
cp "$repo/test/package/consumer-rpc.ts" "$work/esm/src/"
(cd "$work/esm" && npx tsc -p . --skipLibCheck) || { echo 'package: the RPC consumer does not type-check'; exit 1; }
(cd "$work/esm" && node dist/consumer-rpc.js) || { echo 'package: the RPC consumer does not run'; exit 1; }
echo "package: an OpenAPI document with the module's security, through microkubes-nestjs/swagger, strict types"
(cd "$work/esm" && npm install --no-audit --no-fund --loglevel=error "@nestjs/swagger@$(version_of @nestjs/swagger)" >"$work/swagger.log" 2>&1) || { cat "$work/swagger.log"; exit 1; }
if grep -q 'ERESOLVE' "$work/swagger.log"; then cat "$work/swagger.log"; echo 'package: ERESOLVE beside @nestjs/swagger'; exit 1; fi
cp "$repo/test/package/consumer-swagger.ts" "$work/esm/src/"
(cd "$work/esm" && npx tsc -p . --skipLibCheck) || { echo 'package: the Swagger consumer does not type-check'; exit 1; }
(cd "$work/esm" && node dist/consumer-swagger.js) || { echo 'package: the Swagger consumer does not run'; exit 1; }
echo "package: all checks passed"
