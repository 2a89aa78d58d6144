// Package avatar turns an uploaded image into a safe avatar: recognised by content, bounded in size before
// its pixels are decoded, scaled down and re-encoded so that no metadata (EXIF, GPS) survives.
package avatar
