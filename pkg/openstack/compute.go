package openstack

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/flavors"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/servers"
	"github.com/gophercloud/gophercloud/v2/openstack/compute/v2/tags"
	"github.com/gophercloud/gophercloud/v2/pagination"
)

// Compute is what the driver needs from Nova.
type Compute interface {
	// GetServer returns the server or an error satisfying IsNotFound.
	GetServer(ctx context.Context, id string) (*Server, error)
	// FindServersByName returns the servers whose name is exactly name, optionally narrowed by
	// server tags (all must match). Nova's name filter is a regular expression, so it is anchored
	// and escaped, and the result compared again.
	FindServersByName(ctx context.Context, name string, tags []string) ([]Server, error)
	// ListServers pages through servers matching opts, calling fn per page until it returns false.
	ListServers(ctx context.Context, opts servers.ListOpts, fn func([]Server) bool) error
	CreateServer(ctx context.Context, opts servers.CreateOptsBuilder, hints servers.SchedulerHintOptsBuilder) (*servers.Server, error)
	// DeleteServer deletes a server; a server that is already gone is not an error.
	DeleteServer(ctx context.Context, id string) error
	// ReplaceServerTags sets the server's tags to exactly tags.
	ReplaceServerTags(ctx context.Context, id string, tags []string) error
	// FlavorByName returns the flavor with exactly this name.
	FlavorByName(ctx context.Context, name string) (*flavors.Flavor, error)
}

type novaClient struct {
	sc    *gophercloud.ServiceClient
	cache *lookupCache
}

func (c *novaClient) GetServer(ctx context.Context, id string) (*Server, error) {
	s, err := extractServer(servers.Get(withOperation(ctx, "compute", "get_server"), c.sc, id))
	if err != nil {
		if IsNotFound(err) {
			return nil, notFound("server", id)
		}
		return nil, fmt.Errorf("getting server %s: %w", id, err)
	}
	return s, nil
}

func (c *novaClient) FindServersByName(ctx context.Context, name string, tags []string) ([]Server, error) {
	opts := servers.ListOpts{Name: "^" + regexp.QuoteMeta(name) + "$"}
	if len(tags) > 0 {
		opts.Tags = strings.Join(tags, ",")
	}
	var found []Server
	err := c.listServers(withOperation(ctx, "compute", "find_servers"), opts, func(page []Server) bool {
		for _, s := range page {
			if s.Name == name {
				found = append(found, s)
			}
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("looking up servers named %q: %w", name, err)
	}
	return found, nil
}

func (c *novaClient) ListServers(ctx context.Context, opts servers.ListOpts, fn func([]Server) bool) error {
	if err := c.listServers(withOperation(ctx, "compute", "list_servers"), opts, fn); err != nil {
		return fmt.Errorf("listing servers: %w", err)
	}
	return nil
}

func (c *novaClient) listServers(ctx context.Context, opts servers.ListOpts, fn func([]Server) bool) error {
	return servers.List(c.sc, opts).EachPage(ctx, func(_ context.Context, page pagination.Page) (bool, error) {
		list, err := extractServers(page)
		if err != nil {
			return false, err
		}
		return fn(list), nil
	})
}

func (c *novaClient) CreateServer(ctx context.Context, opts servers.CreateOptsBuilder, hints servers.SchedulerHintOptsBuilder) (*servers.Server, error) {
	s, err := servers.Create(withOperation(ctx, "compute", "create_server"), c.sc, opts, hints).Extract()
	if err != nil {
		return nil, fmt.Errorf("creating server: %w", err)
	}
	return s, nil
}

func (c *novaClient) DeleteServer(ctx context.Context, id string) error {
	err := servers.Delete(withOperation(ctx, "compute", "delete_server"), c.sc, id).ExtractErr()
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting server %s: %w", id, err)
	}
	return nil
}

func (c *novaClient) ReplaceServerTags(ctx context.Context, id string, tagList []string) error {
	_, err := tags.ReplaceAll(withOperation(ctx, "compute", "replace_server_tags"), c.sc, id, tags.ReplaceAllOpts{Tags: tagList}).Extract()
	if err != nil {
		return fmt.Errorf("tagging server %s: %w", id, err)
	}
	return nil
}

func (c *novaClient) FlavorByName(ctx context.Context, name string) (*flavors.Flavor, error) {
	v, err := c.cache.get("flavor", name, func() (any, error) {
		var match []flavors.Flavor
		err := flavors.ListDetail(c.sc, flavors.ListOpts{AccessType: flavors.AllAccess}).EachPage(withOperation(ctx, "compute", "list_flavors"),
			func(_ context.Context, page pagination.Page) (bool, error) {
				list, err := flavors.ExtractFlavors(page)
				if err != nil {
					return false, err
				}
				for _, f := range list {
					if f.Name == name {
						match = append(match, f)
					}
				}
				return true, nil
			})
		if err != nil {
			return nil, fmt.Errorf("listing flavors: %w", err)
		}
		return exactlyOne("flavor", name, match)
	})
	if err != nil {
		return nil, err
	}
	f := v.(flavors.Flavor)
	return &f, nil
}

// exactlyOne returns the single element of match, or a not-found / multiple-found error.
func exactlyOne[T any](kind, name string, match []T) (T, error) {
	var zero T
	switch len(match) {
	case 0:
		return zero, notFound(kind, name)
	case 1:
		return match[0], nil
	default:
		return zero, &MultipleFoundError{Kind: kind, Name: name, Count: len(match)}
	}
}
