package v1alpha1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// StatusConditions and SetObservedGeneration give the controllers one way to write the status
// of every kind.

// StatusConditions returns the Region's status conditions for the controllers to update.
func (r *Region) StatusConditions() *[]metav1.Condition { return &r.Status.Conditions }

// SetObservedGeneration records the generation of the Region its status describes.
func (r *Region) SetObservedGeneration(g int64) { r.Status.ObservedGeneration = g }

// StatusConditions returns the Project's status conditions for the controllers to update.
func (p *Project) StatusConditions() *[]metav1.Condition { return &p.Status.Conditions }

// SetObservedGeneration records the generation of the Project its status describes.
func (p *Project) SetObservedGeneration(g int64) { p.Status.ObservedGeneration = g }

// StatusConditions returns the User's status conditions for the controllers to update.
func (u *User) StatusConditions() *[]metav1.Condition { return &u.Status.Conditions }

// SetObservedGeneration records the generation of the User its status describes.
func (u *User) SetObservedGeneration(g int64) { u.Status.ObservedGeneration = g }

// StatusConditions returns the UserProjectBinding's status conditions for the controllers to update.
func (b *UserProjectBinding) StatusConditions() *[]metav1.Condition { return &b.Status.Conditions }

// SetObservedGeneration records the generation of the UserProjectBinding its status describes.
func (b *UserProjectBinding) SetObservedGeneration(g int64) { b.Status.ObservedGeneration = g }
