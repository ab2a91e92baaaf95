/* Identifies the phase of a measured powder pattern with libxrdid's C API.
 *
 *   identify PATTERN [LIBRARY] [--wavelength Å] [--top N]
 *
 * PATTERN: any file `xrdid identify` reads (.xy, .xrdml, RRUFF, .ras, …). LIBRARY: a file from
 * `xrdid library build` (default: the bundled common phases). The wavelength is the file's when
 * it states one, else --wavelength, else the library's (as `xrdid identify`). Prints one tab-separated row per
 * candidate: rank, id, reduced formula, space group number, score, probability.
 *
 * Build against an installed xrdid:  cc identify.c $(pkg-config --cflags --libs xrdid)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xrdid/xrdid.h>

int main(int argc, char** argv) {
  const char* pattern_path = NULL;
  const char* library_path = NULL;
  double wavelength = 0; /* not given */
  int top = 5;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--wavelength") == 0 && i + 1 < argc) wavelength = atof(argv[++i]);
    else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) top = atoi(argv[++i]);
    else if (!pattern_path) pattern_path = argv[i];
    else if (!library_path) library_path = argv[i];
    else {
      fprintf(stderr, "usage: %s PATTERN [LIBRARY] [--wavelength Å] [--top N]\n", argv[0]);
      return 2;
    }
  }
  if (!pattern_path || top < 1) {
    fprintf(stderr, "usage: %s PATTERN [LIBRARY] [--wavelength Å] [--top N]\n", argv[0]);
    return 2;
  }

  xrdid_pattern* pattern = xrdid_pattern_read(pattern_path);
  if (!pattern) {
    fprintf(stderr, "identify: %s\n", xrdid_last_error());
    return 1;
  }

  xrdid_library* library = xrdid_library_open(library_path);
  if (!library) {
    fprintf(stderr, "identify: %s\n", xrdid_last_error());
    xrdid_pattern_close(pattern);
    return 1;
  }
  if (xrdid_pattern_wavelength(pattern) > 0) wavelength = xrdid_pattern_wavelength(pattern);
  else if (wavelength == 0) wavelength = xrdid_library_wavelength(library);

  xrdid_options options;
  xrdid_options_init(&options);
  options.alpha2_angstrom = xrdid_pattern_alpha2(pattern, &options.alpha2_ratio);  /* a Kα1+Kα2 file */

  xrdid_candidate* rows = calloc((size_t)top, sizeof *rows);
  const int n = rows ? xrdid_identify_ex(library, NULL, xrdid_pattern_two_theta(pattern),
                                         xrdid_pattern_intensity(pattern), xrdid_pattern_size(pattern), wavelength,
                                         &options, rows, top, NULL)
                     : -1;
  if (n < 0) fprintf(stderr, "identify: %s\n", rows ? xrdid_last_error() : "out of memory");
  for (int k = 0; k < n; ++k)
    printf("%d\t%s\t%s\t%d\t%.6f\t%.4f\n", rows[k].rank, rows[k].id, rows[k].reduced_formula,
           rows[k].spacegroup_number, rows[k].score, rows[k].probability);

  free(rows);
  xrdid_library_close(library);
  xrdid_pattern_close(pattern);
  return n < 0 ? 1 : 0;
}
