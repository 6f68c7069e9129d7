{{- define "pco.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "pco.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "pco.labels" -}}
app.kubernetes.io/name: {{ include "pco.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "pco.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pco.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pco.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "pco.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "pco.controlNamespace" -}}
{{- default .Release.Namespace .Values.controlNamespace -}}
{{- end -}}

{{- define "pco.targetKubeconfig" -}}
{{- if .Values.targetKubeconfig.secretName -}}
/etc/target-kubeconfig/{{ .Values.targetKubeconfig.key }}
{{- else -}}
inClusterConfig
{{- end -}}
{{- end -}}

{{- define "pco.authapiName" -}}
{{- printf "%s-authapi" (include "pco.fullname" . | trunc 55 | trimSuffix "-") -}}
{{- end -}}

{{- define "pco.authapiEnabled" -}}
{{- if and .Values.authapi.enabled .Values.registrar.enabled -}}true{{- end -}}
{{- end -}}
