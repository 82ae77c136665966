#include "vma_png.h"
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vma_reader {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *error;
    size_t error_len;
};

static void vma_read(png_structp png, png_bytep into, size_t length) {
    struct vma_reader *reader = (struct vma_reader *)png_get_io_ptr(png);
    if (reader->offset + length > reader->size) {
        png_error(png, "unexpected end of data");
    }
    memcpy(into, reader->data + reader->offset, length);
    reader->offset += length;
}

static void vma_error(png_structp png, png_const_charp message) {
    struct vma_reader *reader = (struct vma_reader *)png_get_error_ptr(png);
    snprintf(reader->error, reader->error_len, "%s", message);
    png_longjmp(png, 1);
}

static void vma_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

int vma_png_read16(const uint8_t *data, size_t size, uint16_t *out, size_t out_count, int *channels,
                   char *error, size_t error_len) {
    struct vma_reader reader = {data, size, 0, error, error_len};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, vma_error, vma_warning);
    if (png == NULL) {
        snprintf(error, error_len, "cannot create PNG reader");
        return 0;
    }
    png_infop info = png_create_info_struct(png);
    // volatile: assigned after setjmp and read after a longjmp back to it.
    png_bytep *volatile rows = NULL;
    if (info == NULL || setjmp(png_jmpbuf(png))) {
        free(rows);
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        return 0;
    }
    png_set_read_fn(png, &reader, vma_read);
    png_read_info(png, info);
    if (png_get_bit_depth(png, info) != 16) {
        png_error(png, "not a 16-bit PNG");
    }
#if BYTE_ORDER == LITTLE_ENDIAN
    png_set_swap(png);
#endif
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int count = png_get_channels(png, info);
    if ((size_t)width * height * count > out_count) {
        png_error(png, "output buffer too small");
    }
    rows = malloc(sizeof(png_bytep) * height);
    if (rows == NULL) {
        png_error(png, "out of memory");
    }
    for (png_uint_32 y = 0; y < height; y++) {
        rows[y] = (png_bytep)(out + (size_t)y * width * count);
    }
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    *channels = count;
    return 1;
}
