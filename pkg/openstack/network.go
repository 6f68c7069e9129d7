package openstack

import (
	"context"
	"fmt"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/attributestags"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/extensions/security/groups"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/networks"
	"github.com/gophercloud/gophercloud/v2/openstack/networking/v2/ports"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// Network is what the driver needs from Neutron.
type Network interface {
	// ListPorts returns all ports matching opts (all pages).
	ListPorts(ctx context.Context, opts ports.ListOpts) ([]ports.Port, error)
	CreatePort(ctx context.Context, opts ports.CreateOptsBuilder) (*ports.Port, error)
	// UpdatePort changes a port (the pod network's allowed address pairs on a Nova-made port).
	UpdatePort(ctx context.Context, id string, opts ports.UpdateOptsBuilder) error
	// DeletePort deletes a port; a port that is already gone is not an error.
	DeletePort(ctx context.Context, id string) error
	// ReplacePortTags sets the port's tags to exactly tags.
	ReplacePortTags(ctx context.Context, id string, tags []string) error
	// SecurityGroupIDs resolves security group names (exact, unique) to IDs, in order.
	SecurityGroupIDs(ctx context.Context, names []string) ([]string, error)
	// NetworkIDByName resolves a network name (exact, unique) to its ID.
	NetworkIDByName(ctx context.Context, name string) (string, error)
}

type neutronClient struct {
	sc    *gophercloud.ServiceClient
	cache *lookupCache
}

func (c *neutronClient) ListPorts(ctx context.Context, opts ports.ListOpts) ([]ports.Port, error) {
	pages, err := ports.List(c.sc, opts).AllPages(withOperation(ctx, "network", "list_ports"))
	if err != nil {
		return nil, fmt.Errorf("listing ports: %w", err)
	}
	list, err := ports.ExtractPorts(pages)
	if err != nil {
		return nil, fmt.Errorf("reading ports: %w", err)
	}
	return list, nil
}

func (c *neutronClient) CreatePort(ctx context.Context, opts ports.CreateOptsBuilder) (*ports.Port, error) {
	p, err := ports.Create(withOperation(ctx, "network", "create_port"), c.sc, opts).Extract()
	if err != nil {
		return nil, fmt.Errorf("creating port: %w", err)
	}
	return p, nil
}

func (c *neutronClient) UpdatePort(ctx context.Context, id string, opts ports.UpdateOptsBuilder) error {
	if _, err := ports.Update(withOperation(ctx, "network", "update_port"), c.sc, id, opts).Extract(); err != nil {
		return fmt.Errorf("updating port %s: %w", id, err)
	}
	return nil
}

func (c *neutronClient) DeletePort(ctx context.Context, id string) error {
	err := ports.Delete(withOperation(ctx, "network", "delete_port"), c.sc, id).ExtractErr()
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting port %s: %w", id, err)
	}
	return nil
}

func (c *neutronClient) ReplacePortTags(ctx context.Context, id string, tags []string) error {
	_, err := attributestags.ReplaceAll(withOperation(ctx, "network", "replace_port_tags"), c.sc, "ports", id,
		attributestags.ReplaceAllOpts{Tags: tags}).Extract()
	if err != nil {
		return fmt.Errorf("tagging port %s: %w", id, err)
	}
	return nil
}

func (c *neutronClient) SecurityGroupIDs(ctx context.Context, names []string) ([]string, error) {
	ids := make([]string, 0, len(names))
	for _, name := range names {
		v, err := c.cache.get("security group", name, func() (any, error) {
			pages, err := groups.List(c.sc, groups.ListOpts{Name: name}).AllPages(withOperation(ctx, "network", "list_security_groups"))
			if err != nil {
				return nil, fmt.Errorf("looking up security group %q: %w", name, err)
			}
			list, err := groups.ExtractGroups(pages)
			if err != nil {
				return nil, err
			}
			var match []string
			for _, g := range list {
				if g.Name == name {
					match = append(match, g.ID)
				}
			}
			return exactlyOne("security group", name, match)
		})
		if err != nil {
			return nil, err
		}
		ids = append(ids, v.(string))
	}
	return ids, nil
}

func (c *neutronClient) NetworkIDByName(ctx context.Context, name string) (string, error) {
	v, err := c.cache.get("network", name, func() (any, error) {
		var match []string
		err := networks.List(c.sc, networks.ListOpts{Name: name}).EachPage(withOperation(ctx, "network", "list_networks"),
			func(_ context.Context, page pagination.Page) (bool, error) {
				list, err := networks.ExtractNetworks(page)
				if err != nil {
					return false, err
				}
				for _, n := range list {
					if n.Name == name {
						match = append(match, n.ID)
					}
				}
				return true, nil
			})
		if err != nil {
			return nil, fmt.Errorf("looking up network %q: %w", name, err)
		}
		return exactlyOne("network", name, match)
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}
