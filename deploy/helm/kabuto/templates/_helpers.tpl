{{/* Name of every object: the release name, with "-kabuto" unless it already says kabuto. */}}
{{- define "kabuto.fullname" -}}
{{- if contains "kabuto" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-kabuto" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels that select the server's pods. */}}
{{- define "kabuto.selectorLabels" -}}
app.kubernetes.io/name: kabuto
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end -}}

{{/* Labels of every object, besides its selector labels. */}}
{{- define "kabuto.commonLabels" -}}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels of the server's objects. */}}
{{- define "kabuto.labels" -}}
{{ include "kabuto.selectorLabels" . }}
{{ include "kabuto.commonLabels" . }}
{{- end -}}

{{/* The image reference: the tag defaults to the chart's appVersion. */}}
{{- define "kabuto.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* "true" when the store is SQLite on the data volume (no PostgreSQL secret given). */}}
{{- define "kabuto.sqlite" -}}
{{- if not .Values.store.postgres.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* HTTPS when the pod serves TLS itself, for the probes. */}}
{{- define "kabuto.scheme" -}}
{{- if .Values.tls.existingSecret -}}HTTPS{{- else -}}HTTP{{- end -}}
{{- end -}}

{{/* Name of the kube enforcer's objects (Deployment, Service, TLS Secret, webhooks). */}}
{{- define "kabuto.kubeEnforcer.name" -}}
{{- printf "%s-kube-enforcer" (include "kabuto.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the kube enforcer's pods. */}}
{{- define "kabuto.kubeEnforcer.selectorLabels" -}}
app.kubernetes.io/name: kabuto
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: kube-enforcer
{{- end -}}

{{/* Labels of the kube enforcer's objects. */}}
{{- define "kabuto.kubeEnforcer.labels" -}}
{{ include "kabuto.kubeEnforcer.selectorLabels" . }}
{{ include "kabuto.commonLabels" . }}
{{- end -}}

{{/* Namespaces the enforcer leaves alone: kube-system, its own, and the configured ones. */}}
{{- define "kabuto.kubeEnforcer.excludedNamespaces" -}}
{{- concat (list "kube-system" .Release.Namespace) .Values.kubeEnforcer.excludeNamespaces | uniq | toJson -}}
{{- end -}}

{{/* The Kabuto server the enforcer asks: the configured URL, else this release's server. */}}
{{- define "kabuto.kubeEnforcer.serverUrl" -}}
{{- if .Values.kubeEnforcer.server.url -}}
{{- .Values.kubeEnforcer.server.url -}}
{{- else if .Values.server.enabled -}}
{{- printf "%s://%s.%s.svc:%v" (include "kabuto.scheme" . | lower) (include "kabuto.fullname" .) .Release.Namespace .Values.service.port -}}
{{- else -}}
{{- fail "kubeEnforcer.server.url is required when server.enabled is false (or set kubeEnforcer.standalone.enabled)" -}}
{{- end -}}
{{- end -}}

{{/* The kube enforcer's container securityContext (main and init container). */}}
{{- define "kabuto.kubeEnforcer.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The kubernetes.io/tls Secret the enforcer serves: cert-manager's, the user's or the chart's. */}}
{{- define "kabuto.kubeEnforcer.tlsSecret" -}}
{{- $own := printf "%s-tls" (include "kabuto.kubeEnforcer.name" .) -}}
{{- if .Values.kubeEnforcer.certManager.enabled -}}{{ $own }}{{- else -}}{{ .Values.kubeEnforcer.tls.existingSecret | default $own }}{{- end -}}
{{- end -}}

{{/*
One webhook of the enforcer; `path` is "validate" or "mutate". The API server asks about pods
and every pod-bearing workload outside the excluded namespaces (it does not even call for
those, so the enforcer's own pods always start). failClosed sets failurePolicy here and
--fail-closed in the pods from the one value.
*/}}
{{- define "kabuto.kubeEnforcer.webhook" -}}
{{- $root := .root -}}
{{- $name := include "kabuto.kubeEnforcer.name" $root -}}
- name: {{ .path }}.{{ $name }}.{{ $root.Release.Namespace }}.svc
  admissionReviewVersions: ["v1"]
  sideEffects: None
  failurePolicy: {{ ternary "Fail" "Ignore" $root.Values.kubeEnforcer.failClosed }}
  timeoutSeconds: {{ $root.Values.kubeEnforcer.timeoutSeconds }}
  matchPolicy: Equivalent
  {{- if eq .path "mutate" }}
  # Called again when a later mutating webhook adds or changes a container image.
  reinvocationPolicy: IfNeeded
  {{- end }}
  clientConfig:
    service:
      name: {{ $name }}
      namespace: {{ $root.Release.Namespace }}
      path: /{{ .path }}
      port: 443
    {{- if not $root.Values.kubeEnforcer.certManager.enabled }}
    {{- $ca := $root.Values.kubeEnforcer.tls.caBundle }}
    caBundle: {{ if contains "-----BEGIN" $ca }}{{ b64enc $ca }}{{ else }}{{ $ca }}{{ end }}
    {{- end }}
  namespaceSelector:
    matchExpressions:
      - key: kubernetes.io/metadata.name
        operator: NotIn
        values: {{ include "kabuto.kubeEnforcer.excludedNamespaces" $root }}
  rules:
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: [CREATE, UPDATE]
      resources: [pods, replicationcontrollers]
      scope: Namespaced
    # `kubectl debug` adds ephemeral containers through this subresource.
    - apiGroups: [""]
      apiVersions: ["v1"]
      operations: [UPDATE]
      resources: [pods/ephemeralcontainers]
      scope: Namespaced
    - apiGroups: [apps]
      apiVersions: ["v1"]
      operations: [CREATE, UPDATE]
      resources: [deployments, replicasets, statefulsets, daemonsets]
      scope: Namespaced
    - apiGroups: [batch]
      apiVersions: ["v1"]
      operations: [CREATE, UPDATE]
      resources: [jobs, cronjobs]
      scope: Namespaced
{{- end -}}

{{/* Metadata of both webhook configurations (cert-manager fills their caBundle). */}}
{{- define "kabuto.kubeEnforcer.webhookMetadata" -}}
name: {{ include "kabuto.kubeEnforcer.name" . }}
labels:
  {{- include "kabuto.kubeEnforcer.labels" . | nindent 2 }}
{{- if .Values.kubeEnforcer.certManager.enabled }}
annotations:
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/{{ include "kabuto.kubeEnforcer.tlsSecret" . }}
{{- end }}
{{- end -}}
