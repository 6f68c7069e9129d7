package openstack

import (
	"context"
	"fmt"
	"slices"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/blockstorage/v3/volumes"
)

// BlockStorage is what the driver needs from Cinder: the root volumes Nova keeps after a server
// is deleted (the peer driver pre-creates them with delete_on_termination false).
type BlockStorage interface {
	// FindVolumesByName returns the volumes named exactly name.
	FindVolumesByName(ctx context.Context, name string) ([]volumes.Volume, error)
	// FindVolumesByMetadata returns the volumes whose metadata has all of metadata.
	FindVolumesByMetadata(ctx context.Context, metadata map[string]string) ([]volumes.Volume, error)
	// RenameVolume sets a volume's name and metadata.
	RenameVolume(ctx context.Context, id, name string, metadata map[string]string) error
	// GetVolume returns the volume or an error satisfying IsNotFound.
	GetVolume(ctx context.Context, id string) (*volumes.Volume, error)
	// DeleteVolume deletes a volume; a volume that is already gone is not an error.
	DeleteVolume(ctx context.Context, id string) error
}

type cinderClient struct {
	sc *gophercloud.ServiceClient
}

func (c *cinderClient) FindVolumesByName(ctx context.Context, name string) ([]volumes.Volume, error) {
	pages, err := volumes.List(c.sc, volumes.ListOpts{Name: name}).AllPages(withOperation(ctx, "volume", "list_volumes"))
	if err != nil {
		return nil, fmt.Errorf("looking up volumes named %q: %w", name, err)
	}
	list, err := volumes.ExtractVolumes(pages)
	if err != nil {
		return nil, fmt.Errorf("looking up volumes named %q: %w", name, err)
	}
	return slices.DeleteFunc(list, func(v volumes.Volume) bool { return v.Name != name }), nil
}

func (c *cinderClient) FindVolumesByMetadata(ctx context.Context, metadata map[string]string) ([]volumes.Volume, error) {
	pages, err := volumes.List(c.sc, volumes.ListOpts{Metadata: metadata}).AllPages(withOperation(ctx, "volume", "list_volumes"))
	if err != nil {
		return nil, fmt.Errorf("looking up volumes by metadata: %w", err)
	}
	list, err := volumes.ExtractVolumes(pages)
	if err != nil {
		return nil, fmt.Errorf("looking up volumes by metadata: %w", err)
	}
	return slices.DeleteFunc(list, func(v volumes.Volume) bool {
		for k, want := range metadata {
			if v.Metadata[k] != want {
				return true
			}
		}
		return false
	}), nil
}

func (c *cinderClient) RenameVolume(ctx context.Context, id, name string, metadata map[string]string) error {
	_, err := volumes.Update(withOperation(ctx, "volume", "update_volume"), c.sc, id, volumes.UpdateOpts{Name: &name, Metadata: metadata}).Extract()
	if err != nil {
		return fmt.Errorf("renaming volume %s: %w", id, err)
	}
	return nil
}

func (c *cinderClient) GetVolume(ctx context.Context, id string) (*volumes.Volume, error) {
	v, err := volumes.Get(withOperation(ctx, "volume", "get_volume"), c.sc, id).Extract()
	if err != nil {
		if IsNotFound(err) {
			return nil, notFound("volume", id)
		}
		return nil, fmt.Errorf("getting volume %s: %w", id, err)
	}
	return v, nil
}

func (c *cinderClient) DeleteVolume(ctx context.Context, id string) error {
	err := volumes.Delete(withOperation(ctx, "volume", "delete_volume"), c.sc, id, volumes.DeleteOpts{}).ExtractErr()
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting volume %s: %w", id, err)
	}
	return nil
}
