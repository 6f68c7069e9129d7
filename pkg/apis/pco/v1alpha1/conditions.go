package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// StatusConditions and SetObservedGeneration give the controllers one way to write the status
// of every kind.

func (r *Region) StatusConditions() *[]metav1.Condition { return &r.Status.Conditions }

func (r *Region) SetObservedGeneration(g int64) { r.Status.ObservedGeneration = g }

func (p *Project) StatusConditions() *[]metav1.Condition { return &p.Status.Conditions }

func (p *Project) SetObservedGeneration(g int64) { p.Status.ObservedGeneration = g }

func (u *User) StatusConditions() *[]metav1.Condition { return &u.Status.Conditions }

func (u *User) SetObservedGeneration(g int64) { u.Status.ObservedGeneration = g }

func (b *UserProjectBinding) StatusConditions() *[]metav1.Condition { return &b.Status.Conditions }

func (b *UserProjectBinding) SetObservedGeneration(g int64) { b.Status.ObservedGeneration = g }
