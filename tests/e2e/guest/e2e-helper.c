/* e2e-helper: the few things busybox cannot do for the e2e guest.
 * Built on the host with `gcc -static` and shipped as /usr/bin/e2e-helper.
 *
 *   e2e-helper write FILE VALUE   open(O_WRONLY) + write(2) exactly like a CLI
 *                                 would; prints the raw errno (number, name,
 *                                 strerror) on failure and exits 1.
 *   e2e-helper now                CLOCK_MONOTONIC in seconds with 6 decimals
 *                                 (busybox date has no %N).
 *   e2e-helper vfio-hold GROUP PCI   uses a VF bound to vfio-pci as a VMM does:
 *                                 opens /dev/vfio/GROUP, sets a type1 container
 *                                 and takes the device's fd, prints "holding
 *                                 PCI", then keeps it until killed (a VM that
 *                                 owns the VF).  Exits 1 with the errno when a
 *                                 step fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static const char *ename(int e) {
  switch (e) {
  case EBUSY: return "EBUSY"; case ERANGE: return "ERANGE"; case EINVAL: return "EINVAL";
  case ENOENT: return "ENOENT"; case EPERM: return "EPERM"; case EACCES: return "EACCES";
  case ENODEV: return "ENODEV"; case ENOSYS: return "ENOSYS"; case EOPNOTSUPP: return "EOPNOTSUPP";
  case ENOMEM: return "ENOMEM"; case EIO: return "EIO"; case EEXIST: return "EEXIST";
  case ENXIO: return "ENXIO"; default: return "?";
  }
}

static int do_write(const char *file, const char *value) {
  int fd = open(file, O_WRONLY);
  if (fd < 0) {
    int e = errno;
    printf("open(%s) failed: errno=%d %s (%s)\n", file, e, ename(e), strerror(e));
    return 1;
  }
  size_t n = strlen(value);
  ssize_t r = write(fd, value, n);
  if (r < 0) {
    int e = errno;
    printf("write(%s, \"%s\") failed: errno=%d %s (%s)\n", file, value, e, ename(e), strerror(e));
    close(fd);
    return 1;
  }
  if (close(fd) < 0) {
    int e = errno;
    printf("close(%s) failed: errno=%d %s (%s)\n", file, e, ename(e), strerror(e));
    return 1;
  }
  printf("write(%s, \"%s\") ok: %zd bytes\n", file, value, r);
  return 0;
}

static int vfio_fail(const char *what) {
  int e = errno;
  printf("vfio-hold: %s failed: errno=%d %s (%s)\n", what, e, ename(e), strerror(e));
  return 1;
}

static int vfio_hold(const char *group, const char *pci) {
  char path[64];
  snprintf(path, sizeof path, "/dev/vfio/%s", group);
  int c = open("/dev/vfio/vfio", O_RDWR);
  if (c < 0) return vfio_fail("open /dev/vfio/vfio");
  int g = open(path, O_RDWR);
  if (g < 0) return vfio_fail(path);
  if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &c)) return vfio_fail("VFIO_GROUP_SET_CONTAINER");
  if (ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) return vfio_fail("VFIO_SET_IOMMU");
  int d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, pci);
  if (d < 0) return vfio_fail("VFIO_GROUP_GET_DEVICE_FD");
  printf("holding %s (group %s, device fd %d)\n", pci, group, d);
  fflush(stdout);
  for (;;) pause();
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "vfio-hold") == 0) return vfio_hold(argv[2], argv[3]);
  if (argc == 4 && strcmp(argv[1], "write") == 0) return do_write(argv[2], argv[3]);
  if (argc == 2 && strcmp(argv[1], "now") == 0) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    printf("%lld.%06ld\n", (long long)ts.tv_sec, ts.tv_nsec / 1000);
    return 0;
  }
  fprintf(stderr, "usage: %s write FILE VALUE | %s now | %s vfio-hold GROUP PCI\n", argv[0], argv[0], argv[0]);
  return 2;
}
