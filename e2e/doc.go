// Package e2e is Attendify's end-to-end suite: Go tests that drive a running
// deployment from outside, over its public APIs, as the product's users do
// (an organizer, attendees, a screen at the venue). It knows nothing of how
// the deployment runs: it takes each service's base URL from the
// environment, so it passes against `make run`'s stack, the images run with
// podman (`make e2e`), or any deployment of the product.
//
// Environment:
//
//	E2E_HUB_URL, E2E_IMPORTER_URL, E2E_SOCIAL_URL, E2E_SPONSORED_URL,
//	E2E_ANALYTICS_URL, E2E_EVENTWALL_URL   each service's base URL
//	AUTH_SERVICE_KEYS                      the key the suite signs hub's dev.* calls
//	                                       with (the services' development key
//	                                       when unset)
//
// The hub must run with HUB_DEV_MODE=true: the suite reads the sign-up
// token and the sign-in codes hub would mail through its dev.* methods.
// Without the URLs the tests skip, and fail under CI=true.
package e2e
