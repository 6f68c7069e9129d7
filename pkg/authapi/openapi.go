package authapi

import (
	extensionsopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"

	authv1alpha1 "github.com/pco-mcm/mcm-provider-pco/pkg/apis/auth/v1alpha1"
)

// GetOpenAPIDefinitions are the OpenAPI definitions the server publishes: the meta types
// (taken from apiextensions-apiserver's generated definitions) and this group's kinds
// (written by hand; there is no openapi-gen here).
func GetOpenAPIDefinitions(ref common.ReferenceCallback) map[string]common.OpenAPIDefinition {
	defs := extensionsopenapi.GetOpenAPIDefinitions(ref)
	str := func(desc string) spec.Schema {
		return spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{"string"}, Description: desc}}
	}
	object := func(desc string, props map[string]spec.Schema, required ...string) spec.Schema {
		return spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{"object"}, Description: desc, Properties: props, Required: required}}
	}
	refTo := func(name string) spec.Schema {
		return spec.Schema{SchemaProps: spec.SchemaProps{Ref: ref(name)}}
	}
	objectMeta, listMeta := metav1.ObjectMeta{}.OpenAPIModelName(), metav1.ListMeta{}.OpenAPIModelName()
	item := authv1alpha1.ClusterUserAuth{}.OpenAPIModelName()
	defs[item] = common.OpenAPIDefinition{
		Schema: object("ClusterUserAuth is one user's credentials for one cluster, served only to that user.",
			map[string]spec.Schema{
				"apiVersion": str("APIVersion of the object."),
				"kind":       str("Kind of the object."),
				"metadata":   refTo(objectMeta),
				"spec": object("The cluster and the user the credentials belong to.", map[string]spec.Schema{
					"cluster": str("The ClusterInfo's name."),
					"user":    str("The user the credentials belong to."),
				}, "cluster", "user"),
				"credentials": object("The user's auth data for the cluster.", map[string]spec.Schema{
					"kubeconfig": str("A kubeconfig."),
					"token":      str("A bearer token."),
				}),
			}),
		Dependencies: []string{objectMeta},
	}
	defs[authv1alpha1.ClusterUserAuthList{}.OpenAPIModelName()] = common.OpenAPIDefinition{
		Schema: object("ClusterUserAuthList is a list of ClusterUserAuths.", map[string]spec.Schema{
			"apiVersion": str("APIVersion of the object."),
			"kind":       str("Kind of the object."),
			"metadata":   refTo(listMeta),
			"items": {SchemaProps: spec.SchemaProps{Type: []string{"array"},
				Items: &spec.SchemaOrArray{Schema: &spec.Schema{SchemaProps: spec.SchemaProps{Ref: ref(item)}}}}},
		}, "items"),
		Dependencies: []string{listMeta, item},
	}
	integer := func(desc string) spec.Schema {
		return spec.Schema{SchemaProps: spec.SchemaProps{Type: []string{"integer"}, Format: "int32", Description: desc}}
	}
	cluster := authv1alpha1.Cluster{}.OpenAPIModelName()
	defs[cluster] = common.OpenAPIDefinition{
		Schema: object("Cluster is a registered cluster as a user of it sees it.",
			map[string]spec.Schema{
				"apiVersion": str("APIVersion of the object."),
				"kind":       str("Kind of the object."),
				"metadata":   refTo(objectMeta),
				"spec": object("What a user needs to know about the cluster.", map[string]spec.Schema{
					"name":              str("The cluster's name."),
					"displayName":       str("The cluster's display name."),
					"provider":          str("pluscloud-open, or Generic for connected clusters."),
					"endpoint":          str("The cluster's API server URL."),
					"kubernetesVersion": str("The cluster's Kubernetes version."),
					"nodeCount":         integer("Ready nodes."),
					"region":            str("The OpenStack region."),
					"project":           str("The OpenStack project."),
				}, "name"),
				"status": object("The cluster's state as the registrar last saw it.", map[string]spec.Schema{
					"phase":  str("Active, NotReady, NotConnected, Registered or Lost."),
					"reason": str("Why the cluster is in its phase."),
				}),
			}),
		Dependencies: []string{objectMeta},
	}
	defs[authv1alpha1.ClusterList{}.OpenAPIModelName()] = common.OpenAPIDefinition{
		Schema: object("ClusterList is a list of Clusters.", map[string]spec.Schema{
			"apiVersion": str("APIVersion of the object."),
			"kind":       str("Kind of the object."),
			"metadata":   refTo(listMeta),
			"items": {SchemaProps: spec.SchemaProps{Type: []string{"array"},
				Items: &spec.SchemaOrArray{Schema: &spec.Schema{SchemaProps: spec.SchemaProps{Ref: ref(cluster)}}}}},
		}, "items"),
		Dependencies: []string{listMeta, cluster},
	}
	return defs
}
