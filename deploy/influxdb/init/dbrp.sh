#!/bin/bash
# Run once by the influxdb:2.7 image after its first setup (files in
# /docker-entrypoint-initdb.d), with the influx CLI already signed in as the admin.
# duban and Grafana read through InfluxQL on /query, which InfluxDB 2.x answers through a
# DBRP mapping: database "$DOCKER_INFLUXDB_INIT_BUCKET", retention policy autogen, onto
# the bucket the setup created. Idempotent: an existing mapping is left as it is.
set -euo pipefail
db=${DOCKER_INFLUXDB_INIT_BUCKET:?}
org=${DOCKER_INFLUXDB_INIT_ORG:?}
if influx v1 dbrp list --org "$org" --db "$db" --hide-headers 2>/dev/null | grep -q .; then
  echo "dbrp mapping for database $db exists"
  exit 0
fi
bucket_id=${DOCKER_INFLUXDB_INIT_BUCKET_ID:-$(influx bucket list --org "$org" --name "$db" --hide-headers | cut -f1)}
influx v1 dbrp create --org "$org" --db "$db" --rp autogen --bucket-id "$bucket_id" --default
echo "dbrp mapping: database $db, retention policy autogen -> bucket $bucket_id"
