{{/* SPDX-License-Identifier: Apache-2.0 */}}
{{/* _helpers.tpl - names, labels and the paths shared by several templates. */}}

{{- define "credwatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "credwatch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "credwatch.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "credwatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "credwatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "credwatch.labels" -}}
helm.sh/chart: {{ include "credwatch.chart" . }}
{{ include "credwatch.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: agent
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "credwatch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "credwatch.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- /* Never fall back to "default": the role would go to every pod using it. */ -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "credwatch.image" -}}
{{- $repo := printf "%s/%s" .Values.image.registry .Values.image.repository | trimPrefix "/" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The backend token Secret: the user's existing one or the chart's own. */}}
{{- define "credwatch.tokenSecretName" -}}
{{- if .Values.backend.token.existingSecret -}}
{{- .Values.backend.token.existingSecret -}}
{{- else if .Values.backend.token.value -}}
{{- printf "%s-backend-token" (include "credwatch.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "credwatch.tokenSecretKey" -}}
{{- if .Values.backend.token.existingSecret -}}{{ .Values.backend.token.key }}{{- else -}}token{{- end -}}
{{- end -}}

{{- define "credwatch.caConfigMapName" -}}
{{- if .Values.backend.ca.existingConfigMap -}}
{{- .Values.backend.ca.existingConfigMap -}}
{{- else if .Values.backend.ca.pem -}}
{{- printf "%s-backend-ca" (include "credwatch.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "credwatch.caConfigMapKey" -}}
{{- if .Values.backend.ca.existingConfigMap -}}{{ .Values.backend.ca.key }}{{- else -}}ca.crt{{- end -}}
{{- end -}}

{{/* Paths inside the container; the ConfigMap and the DaemonSet must agree. */}}
{{- define "credwatch.configPath" -}}/etc/credwatch/credwatch.yaml{{- end -}}
{{- define "credwatch.customRulesDir" -}}/etc/credwatch/rules.d{{- end -}}
{{- define "credwatch.customCatalogDir" -}}/etc/credwatch/catalog.custom.d{{- end -}}
{{- define "credwatch.tokenDir" -}}/etc/credwatch/secrets{{- end -}}
{{- define "credwatch.caDir" -}}/etc/credwatch/backend-ca{{- end -}}
{{- define "credwatch.storageDir" -}}/var/lib/credwatch{{- end -}}
{{- define "credwatch.hostRoot" -}}/host{{- end -}}
