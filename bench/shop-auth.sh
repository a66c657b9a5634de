# Sourced by the benchmarks that run the shop's `users` service (generated or hand-written):
# `shop_auth DIR` writes a staff API key's hash line to DIR/staff.keys and a key set for the
# customers' identity provider to DIR/customer.jwks.json, exports the variables naming them and
# sets STAFF_KEY, which `GET /users/{id}` takes in `x-api-key` (reading a customer needs a
# credential; the benchmarks read with staff's key).
shop_auth() {
  local dir=$1
  STAFF_KEY=svcgen_bench_staff_key_0123456789abcdef
  local hash
  hash=$(printf '%s' "$STAFF_KEY" | sha256sum | cut -d' ' -f1)
  printf '%s bench customers:read\n' "$hash" > "$dir/staff.keys"
  # The public key of RFC 8037's Ed25519 example: no token is checked against it here.
  printf '%s\n' '{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"bench","alg":"EdDSA"}]}' \
    > "$dir/customer.jwks.json"
  export AUTH_STAFF_KEYS_FILE=$dir/staff.keys AUTH_CUSTOMER_JWKS_FILE=$dir/customer.jwks.json
}
