#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Test PKI for loopback HTTPS servers. Source it, then: pki_make DIR
# DIR/ca.crt is the CA to trust; DIR/srv.crt, DIR/srv.key are for 127.0.0.1/localhost.
pki_make() {
	local d=$1
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 2 \
		-subj /CN=credwatch-test-ca 2>/dev/null || return 1
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/srv.ext"
	openssl req -newkey rsa:2048 -nodes -keyout "$d/srv.key" -out "$d/srv.csr" \
		-subj /CN=localhost 2>/dev/null || return 1
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-out "$d/srv.crt" -days 2 -extfile "$d/srv.ext" 2>/dev/null
}
