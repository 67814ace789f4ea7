// Package deploy holds the deployment manifests (kubernetes/: a kustomize
// base and its overlays) and the test that renders every overlay with the
// kustomize library, decodes each object strictly into the Kubernetes API
// types and checks the rules every service's deployment keeps
// (docs/operations.md). `make lint` runs it.
package deploy
