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

{{/* image: repository:tag of an image value; the tag defaults to v<appVersion> (VERSION). */}}
{{- define "pco.image" -}}
{{- $root := index . 0 -}}
{{- $img := index . 1 -}}
{{- printf "%s:%s" $img.repository (default (printf "v%s" $root.Chart.AppVersion) $img.tag) | quote -}}
{{- end -}}

{{- define "pco.resellerName" -}}
{{- printf "%s-reseller" (include "pco.fullname" . | trunc 54 | trimSuffix "-") -}}
{{- end -}}

{{/* The reseller controller's pods are not the MCM pod's: their own name label, so neither
Deployment's selector matches the other's pods. */}}
{{- define "pco.resellerSelectorLabels" -}}
app.kubernetes.io/name: {{ include "pco.name" . }}-reseller
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: reseller-controller
{{- end -}}

{{- define "pco.resellerServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- include "pco.resellerName" . -}}
{{- else -}}
{{- default "default" .Values.reseller.serviceAccountName -}}
{{- end -}}
{{- end -}}

{{/* Namespaces where the reseller controller writes credentials Secrets: the release's and reseller.namespaces. */}}
{{- define "pco.resellerNamespaces" -}}
{{- $ns := list .Release.Namespace -}}
{{- range .Values.reseller.namespaces -}}{{- $ns = append $ns . -}}{{- end -}}
{{- $ns | uniq | join "," -}}
{{- end -}}
