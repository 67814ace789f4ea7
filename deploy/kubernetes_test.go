package deploy

import (
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// uses is what each service reaches, read from its configuration
// (services/NAME/internal/app: app.Config): the stores it opens and the
// services whose API it calls (rpc.ClientConfig). Every service opens Redis
// through the runner. The NetworkPolicies must allow exactly this.
var uses = map[string][]string{
	"hub":        {"store:postgres", "store:redis"},
	"importer":   {"store:postgres", "store:redis", "service:hub"},
	"social":     {"store:postgres", "store:redis", "store:couchdb", "store:riak", "service:hub"},
	"sponsored":  {"store:postgres", "store:redis"},
	"analytics":  {"store:postgres", "store:redis", "service:hub"},
	"eventwall":  {"store:postgres", "store:redis", "store:couchdb", "service:hub"},
	"multievent": {"store:postgres", "store:redis", "store:couchdb", "store:riak", "service:hub"},
}

// The runner's defaults (platform/runner: Config) for a pod whose
// configuration does not set them.
const (
	defaultShutdownDelay   = 5 * time.Second
	defaultShutdownTimeout = 25 * time.Second
	// stopHooks is what the grace period keeps beyond the delay and the
	// drain for the stop hooks (relays, consumers, the log's flush).
	stopHooks = 5 * time.Second
)

// secretish are variable names whose value is a credential: they come from
// a Secret, never from a ConfigMap or a literal in a manifest.
var secretish = regexp.MustCompile(`(^|_)(PASSWORD|SECRET|KEY|KEYS|TOKEN)(_|$)|^DATABASE_URL$|^COUCHDB_URL$|^REDIS_URL$`)

// rendered is one overlay's objects, decoded.
type rendered struct {
	deployments map[string]*appsv1.Deployment
	services    map[string]*corev1.Service
	pdbs        map[string]*policyv1.PodDisruptionBudget
	hpas        map[string]*autoscalingv2.HorizontalPodAutoscaler
	policies    map[string]*networkingv1.NetworkPolicy
	jobs        map[string]*batchv1.Job
	configMaps  map[string]*corev1.ConfigMap
}

func TestOverlays(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("kubernetes", "overlays", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 2 {
		t.Fatalf("overlays: %v, want dev and production at least", dirs)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r := render(t, dir)
			checkOverlay(t, filepath.Base(dir), r)
		})
	}
}

// render builds the overlay in dir with the kustomize library and decodes
// every object strictly (an unknown or misspelt field fails) into its API
// type. A kind the deployment does not use fails the test, and so does a
// Secret: Secrets are referenced, never committed.
func render(t *testing.T, dir string) *rendered {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	r := &rendered{
		deployments: map[string]*appsv1.Deployment{},
		services:    map[string]*corev1.Service{},
		pdbs:        map[string]*policyv1.PodDisruptionBudget{},
		hpas:        map[string]*autoscalingv2.HorizontalPodAutoscaler{},
		policies:    map[string]*networkingv1.NetworkPolicy{},
		jobs:        map[string]*batchv1.Job{},
		configMaps:  map[string]*corev1.ConfigMap{},
	}
	for _, res := range m.Resources() {
		y, err := res.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		kind, name := res.GetKind(), res.GetName()
		var obj interface{ GetName() string }
		switch kind {
		case "Deployment":
			o := &appsv1.Deployment{}
			r.deployments[name], obj = o, o
		case "Service":
			o := &corev1.Service{}
			r.services[name], obj = o, o
		case "PodDisruptionBudget":
			o := &policyv1.PodDisruptionBudget{}
			r.pdbs[name], obj = o, o
		case "HorizontalPodAutoscaler":
			o := &autoscalingv2.HorizontalPodAutoscaler{}
			r.hpas[name], obj = o, o
		case "NetworkPolicy":
			o := &networkingv1.NetworkPolicy{}
			r.policies[name], obj = o, o
		case "Job":
			o := &batchv1.Job{}
			r.jobs[name], obj = o, o
		case "ConfigMap":
			o := &corev1.ConfigMap{}
			r.configMaps[name], obj = o, o
		case "Secret":
			t.Errorf("%s: Secret %s is committed: reference Secrets, create them in the cluster (docs/operations.md)", dir, name)
			continue
		default:
			t.Errorf("%s: %s %s: a kind this test does not check", dir, kind, name)
			continue
		}
		if err := yaml.UnmarshalStrict(y, obj); err != nil {
			t.Errorf("%s: %s %s does not decode strictly: %v", dir, kind, name, err)
		}
	}
	return r
}

func checkOverlay(t *testing.T, overlay string, r *rendered) {
	if got, want := slices.Sorted(maps.Keys(r.deployments)), slices.Sorted(maps.Keys(uses)); !slices.Equal(got, want) {
		t.Errorf("Deployments %v, want one per service %v", got, want)
	}
	for name, cm := range r.configMaps {
		for k := range cm.Data {
			if secretish.MatchString(k) {
				t.Errorf("ConfigMap %s holds %s: a credential belongs in a Secret", name, k)
			}
		}
	}
	checkBaseline(t, r)
	for name, d := range r.deployments {
		t.Run(name, func(t *testing.T) {
			checkDeployment(t, overlay, r, d)
			checkCompanions(t, overlay, r, d)
			checkNetworkPolicy(t, r, d)
		})
	}
	for name, j := range r.jobs {
		t.Run(name, func(t *testing.T) {
			checkPod(t, r, &j.Spec.Template.Spec)
		})
	}
}

// checkPod holds for every pod: each container runs as non-root on a
// read-only root filesystem with every capability dropped and no escalation,
// has requests and limits, and takes its configuration from ConfigMaps of
// the render and Secrets, with no credential written in.
func checkPod(t *testing.T, r *rendered, spec *corev1.PodSpec) {
	t.Helper()
	if len(spec.Containers) == 0 {
		t.Fatal("no containers")
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken must be false: the services do not call the Kubernetes API")
	}
	podNonRoot := spec.SecurityContext != nil && spec.SecurityContext.RunAsNonRoot != nil && *spec.SecurityContext.RunAsNonRoot
	for _, c := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		sc := c.SecurityContext
		if sc == nil {
			t.Errorf("container %s: no securityContext", c.Name)
			continue
		}
		if !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
			t.Errorf("container %s: runAsNonRoot is not set", c.Name)
		}
		if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
			t.Errorf("container %s: runAsNonRoot is false", c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
		}
		if sc.Privileged != nil && *sc.Privileged {
			t.Errorf("container %s: privileged", c.Name)
		}
		if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
			t.Errorf("container %s: capabilities must drop ALL and add none, have %+v", c.Name, sc.Capabilities)
		}
		for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, okReq := c.Resources.Requests[res]
			lim, okLim := c.Resources.Limits[res]
			if !okReq || !okLim || req.IsZero() || lim.IsZero() {
				t.Errorf("container %s: %s needs a request and a limit (have %v / %v)", c.Name, res, c.Resources.Requests, c.Resources.Limits)
				continue
			}
			if req.Cmp(lim) > 0 {
				t.Errorf("container %s: %s request %s above its limit %s", c.Name, res, req.String(), lim.String())
			}
		}
		if c.Image == "" || !strings.Contains(c.Image, ":") || strings.HasSuffix(c.Image, ":latest") {
			t.Errorf("container %s: image %q needs a release tag", c.Name, c.Image)
		}
		for _, e := range c.Env {
			if e.Value != "" && secretish.MatchString(e.Name) {
				t.Errorf("container %s: %s is written in the manifest: take it from a Secret", c.Name, e.Name)
			}
		}
		for _, ef := range c.EnvFrom {
			if ef.ConfigMapRef != nil {
				if _, ok := r.configMaps[ef.ConfigMapRef.Name]; !ok {
					t.Errorf("container %s: ConfigMap %s is not in the render", c.Name, ef.ConfigMapRef.Name)
				}
			}
		}
		if !slices.ContainsFunc(c.EnvFrom, func(ef corev1.EnvFromSource) bool { return ef.SecretRef != nil }) {
			t.Errorf("container %s: no Secret referenced: credentials have nowhere to come from", c.Name)
		}
	}
}

// environment is what a container's configuration sets, from its ConfigMaps
// (in envFrom order) and literal env entries.
func environment(r *rendered, c *corev1.Container) map[string]string {
	env := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil {
			if cm := r.configMaps[ef.ConfigMapRef.Name]; cm != nil {
				for k, v := range cm.Data {
					env[ef.Prefix+k] = v
				}
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = e.Value
		}
	}
	return env
}

func duration(t *testing.T, env map[string]string, name string, def time.Duration) time.Duration {
	t.Helper()
	v, ok := env[name]
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Errorf("%s=%q: %v", name, v, err)
	}
	return d
}

// port returns the port of a listen address such as ":8080".
func port(t *testing.T, name, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Errorf("%s=%q: %v", name, addr, err)
		return 0
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Errorf("%s=%q: %v", name, addr, err)
	}
	return int32(n)
}

func containerPort(c *corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

func checkDeployment(t *testing.T, overlay string, r *rendered, d *appsv1.Deployment) {
	spec := &d.Spec.Template.Spec
	checkPod(t, r, spec)
	sel, err := metaSelector(d.Spec.Selector.MatchLabels)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Fatalf("selector %v does not match the pod's labels %v", d.Spec.Selector.MatchLabels, d.Spec.Template.Labels)
	}
	c := &spec.Containers[0]
	env := environment(r, c)
	if !slices.Equal(c.Args, []string{"serve"}) {
		t.Errorf("args %v, want [serve]", c.Args)
	}

	// The server listens where the pod's ports say, and its metrics on the
	// admin port.
	httpPort, adminPort := containerPort(c, "http"), containerPort(c, "admin")
	if httpPort == 0 || port(t, "ADDR", env["ADDR"]) != httpPort {
		t.Errorf("ADDR=%q and the container's http port %d disagree", env["ADDR"], httpPort)
	}
	if adminPort == 0 || port(t, "ADMIN_ADDR", env["ADMIN_ADDR"]) != adminPort {
		t.Errorf("ADMIN_ADDR=%q and the container's admin port %d disagree (metrics unreachable)", env["ADMIN_ADDR"], adminPort)
	}

	probe := func(kind string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe: none (want GET %s)", kind, path)
			return
		}
		if p.HTTPGet.Path != path || (p.HTTPGet.Port.StrVal != "http" && p.HTTPGet.Port.IntVal != httpPort) {
			t.Errorf("%s probe: GET %s on %s, want %s on the http port", kind, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
		}
	}
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("startup", c.StartupProbe, "/healthz")

	// The grace period outlasts the runner's stop: the delay with readiness
	// false, the drain, and the stop hooks.
	stop := duration(t, env, "SHUTDOWN_DELAY", defaultShutdownDelay) + duration(t, env, "SHUTDOWN_TIMEOUT", defaultShutdownTimeout) + stopHooks
	grace := 30 * time.Second // Kubernetes' default
	if spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	}
	if grace < stop {
		t.Errorf("terminationGracePeriodSeconds: %v, want at least %v (SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT + %v of stop hooks)", grace, stop, stopHooks)
	}

	// GOMEMLIMIT sits under the memory limit, so the collector works
	// harder before the kernel kills the pod.
	if v, ok := env["GOMEMLIMIT"]; ok {
		lim := c.Resources.Limits[corev1.ResourceMemory]
		q, err := resource.ParseQuantity(strings.TrimSuffix(strings.NewReplacer("KiB", "Ki", "MiB", "Mi", "GiB", "Gi").Replace(v), "B"))
		if err != nil {
			t.Errorf("GOMEMLIMIT=%q: %v", v, err)
		} else if q.Cmp(lim) >= 0 {
			t.Errorf("GOMEMLIMIT=%s not under the memory limit %s", v, lim.String())
		}
	}

	// Spread over zones, counting this Deployment's pods.
	zone := false
	for _, tsc := range spec.TopologySpreadConstraints {
		if tsc.TopologyKey != "topology.kubernetes.io/zone" || tsc.LabelSelector == nil {
			continue
		}
		s, err := metaSelector(tsc.LabelSelector.MatchLabels)
		zone = err == nil && s.Matches(labels.Set(d.Spec.Template.Labels))
	}
	if !zone {
		t.Error("no topology spread over topology.kubernetes.io/zone selecting the Deployment's pods")
	}

	if overlay == "production" && (d.Spec.Replicas == nil || *d.Spec.Replicas < 2) {
		t.Errorf("production: %v replicas, want 2 at least", d.Spec.Replicas)
	}
}

// checkCompanions: each Deployment has a Service, a PodDisruptionBudget and
// a HorizontalPodAutoscaler that select or target it, and a migration Job.
func checkCompanions(t *testing.T, overlay string, r *rendered, d *appsv1.Deployment) {
	podLabels := labels.Set(d.Spec.Template.Labels)
	svc := r.services[d.Name]
	if svc == nil {
		t.Error("no Service")
	} else if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service selector %v does not select the pods", svc.Spec.Selector)
	}
	pdb := r.pdbs[d.Name]
	if pdb == nil {
		t.Error("no PodDisruptionBudget")
	} else if s, err := metaSelector(pdb.Spec.Selector.MatchLabels); err != nil || !s.Matches(podLabels) {
		t.Errorf("PodDisruptionBudget selector %v does not select the pods", pdb.Spec.Selector)
	} else if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
		t.Error("PodDisruptionBudget sets neither maxUnavailable nor minAvailable")
	}
	hpa := r.hpas[d.Name]
	if hpa == nil {
		t.Error("no HorizontalPodAutoscaler")
	} else {
		if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != d.Name {
			t.Errorf("HorizontalPodAutoscaler targets %s %s", ref.Kind, ref.Name)
		}
		minR := int32(1)
		if hpa.Spec.MinReplicas != nil {
			minR = *hpa.Spec.MinReplicas
		}
		if hpa.Spec.MaxReplicas < minR || len(hpa.Spec.Metrics) == 0 {
			t.Errorf("HorizontalPodAutoscaler: min %d max %d, %d metrics", minR, hpa.Spec.MaxReplicas, len(hpa.Spec.Metrics))
		}
		if overlay == "production" && minR < 2 {
			t.Errorf("production: the autoscaler may go down to %d replica", minR)
		}
	}
	job := r.jobs[d.Name+"-migrate"]
	if job == nil {
		t.Errorf("no migration Job %s-migrate", d.Name)
	} else {
		jc, dc := job.Spec.Template.Spec.Containers[0], d.Spec.Template.Spec.Containers[0]
		if !slices.Equal(jc.Args, []string{"migrate"}) || jc.Image != dc.Image {
			t.Errorf("migration Job runs %s %v, want %s [migrate]", jc.Image, jc.Args, dc.Image)
		}
		if !slices.EqualFunc(jc.EnvFrom, dc.EnvFrom, func(a, b corev1.EnvFromSource) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
			t.Errorf("migration Job's configuration %v differs from the server's %v", jc.EnvFrom, dc.EnvFrom)
		}
	}
}

// checkBaseline: the namespace denies everything a policy does not allow.
func checkBaseline(t *testing.T, r *rendered) {
	for _, p := range r.policies {
		if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
			len(p.Spec.Ingress) == 0 && len(p.Spec.Egress) == 0 &&
			slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) &&
			slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			return
		}
	}
	t.Error("no default-deny NetworkPolicy (every pod, ingress and egress, no rule)")
}

// checkNetworkPolicy: the Deployment's pods are selected by a policy of
// both types whose egress reaches exactly the stores and services it uses
// (DNS and the trace collector apart: the baseline allows them to all).
func checkNetworkPolicy(t *testing.T, r *rendered, d *appsv1.Deployment) {
	podLabels := labels.Set(d.Spec.Template.Labels)
	var reached []string
	found := false
	for _, p := range r.policies {
		s, err := metaSelector(p.Spec.PodSelector.MatchLabels)
		if err != nil || len(p.Spec.PodSelector.MatchLabels) == 0 || !s.Matches(podLabels) {
			continue
		}
		found = true
		if !slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || !slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			t.Errorf("NetworkPolicy %s: policyTypes %v, want Ingress and Egress", p.Name, p.Spec.PolicyTypes)
		}
		for _, rule := range p.Spec.Egress {
			if len(rule.To) == 0 || len(rule.Ports) == 0 {
				t.Errorf("NetworkPolicy %s: an egress rule open to every peer or port", p.Name)
			}
			for _, peer := range rule.To {
				if peer.IPBlock != nil || peer.PodSelector == nil {
					t.Errorf("NetworkPolicy %s: egress to %+v: name the store's or service's pods", p.Name, peer)
					continue
				}
				ml := peer.PodSelector.MatchLabels
				switch {
				case ml["attendify.io/store"] != "":
					reached = append(reached, "store:"+ml["attendify.io/store"])
				case ml["app.kubernetes.io/name"] != "":
					reached = append(reached, "service:"+ml["app.kubernetes.io/name"])
					if _, ok := r.deployments[ml["app.kubernetes.io/name"]]; !ok {
						t.Errorf("NetworkPolicy %s: egress to %s, which is not deployed", p.Name, ml["app.kubernetes.io/name"])
					}
				default:
					t.Errorf("NetworkPolicy %s: egress to pods %v: neither a store nor a service", p.Name, ml)
				}
			}
		}
		for _, rule := range p.Spec.Ingress {
			if len(rule.From) == 0 || len(rule.Ports) == 0 {
				t.Errorf("NetworkPolicy %s: an ingress rule open to every peer or port", p.Name)
			}
		}
	}
	if !found {
		t.Fatal("no NetworkPolicy selects the pods")
	}
	slices.Sort(reached)
	reached = slices.Compact(reached)
	want := slices.Sorted(slices.Values(uses[d.Name]))
	if !slices.Equal(reached, want) {
		t.Errorf("egress reaches %v, want exactly what the service uses: %v", reached, want)
	}
}

func metaSelector(ml map[string]string) (labels.Selector, error) {
	if len(ml) == 0 {
		return nil, fmt.Errorf("empty selector")
	}
	return labels.SelectorFromSet(ml), nil
}

// TestNoSecretValuesInFiles: no manifest under kubernetes/ spells out a
// Secret's data, rendered or not (a secretGenerator with literals, a stray
// Secret file).
func TestNoSecretValuesInFiles(t *testing.T) {
	err := filepath.WalkDir("kubernetes", func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, bad := range []string{"kind: Secret", "secretGenerator", "stringData:"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s: %q: Secrets are created in the cluster, not committed", path, bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
