{{/* The release's name for every object (at most 63 characters, as Kubernetes names). */}}
{{- define "vma.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "vma.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "vma.labels" -}}
{{ include "vma.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The Secret holding HF_TOKEN, API_KEYS and JOBS_DATABASE_URL. */}}
{{- define "vma.secretName" -}}
{{- default (include "vma.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* Refuses settings that would lose or corrupt jobs: several pods on SQLite in one volume. */}}
{{- define "vma.check" -}}
{{- $external := .Values.secrets.existingSecret -}}
{{- $postgres := or .Values.jobs.databaseURL $external -}}
{{- if and (gt (int .Values.replicaCount) 1) (not $postgres) -}}
{{- fail "replicaCount > 1 needs jobs.databaseURL (PostgreSQL): the SQLite job queue belongs to one pod" -}}
{{- end -}}
{{- if and .Values.keda.enabled (not $postgres) -}}
{{- fail "keda.enabled needs jobs.databaseURL: the scaler counts pending jobs in PostgreSQL" -}}
{{- end -}}
{{- if and .Values.keda.enabled (lt (int .Values.keda.maxReplicas) (int .Values.keda.minReplicas)) -}}
{{- fail "keda.maxReplicas must be at least keda.minReplicas" -}}
{{- end -}}
{{- end -}}
