package openstack

import (
	"context"
	"fmt"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/image/v2/images"
)

// Image is what the driver needs from Glance.
type Image interface {
	// ImageByName returns the active image with exactly this name.
	ImageByName(ctx context.Context, name string) (*images.Image, error)
	// ImageByID returns the image with this ID.
	ImageByID(ctx context.Context, id string) (*images.Image, error)
}

type glanceClient struct {
	sc    *gophercloud.ServiceClient
	cache *lookupCache
}

func (c *glanceClient) ImageByName(ctx context.Context, name string) (*images.Image, error) {
	v, err := c.cache.get("image", name, func() (any, error) {
		pages, err := images.List(c.sc, images.ListOpts{Name: name, Status: images.ImageStatusActive}).AllPages(withOperation(ctx, "image", "list_images"))
		if err != nil {
			return nil, fmt.Errorf("looking up image %q: %w", name, err)
		}
		list, err := images.ExtractImages(pages)
		if err != nil {
			return nil, err
		}
		var match []images.Image
		for _, img := range list {
			if img.Name == name {
				match = append(match, img)
			}
		}
		return exactlyOne("image", name, match)
	})
	if err != nil {
		return nil, err
	}
	img := v.(images.Image)
	return &img, nil
}

func (c *glanceClient) ImageByID(ctx context.Context, id string) (*images.Image, error) {
	v, err := c.cache.get("image-id", id, func() (any, error) {
		img, err := images.Get(withOperation(ctx, "image", "get_image"), c.sc, id).Extract()
		if err != nil {
			if IsNotFound(err) {
				return nil, notFound("image", id)
			}
			return nil, fmt.Errorf("getting image %s: %w", id, err)
		}
		return *img, nil
	})
	if err != nil {
		return nil, err
	}
	img := v.(images.Image)
	return &img, nil
}
