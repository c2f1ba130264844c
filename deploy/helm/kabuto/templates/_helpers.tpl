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

{{/* Labels of every object. */}}
{{- define "kabuto.labels" -}}
{{ include "kabuto.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
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
