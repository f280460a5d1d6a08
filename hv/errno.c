/* Names of the hypervisor's error codes (hv/errno.h), for the message that ends a chain. */
#include "hv/errno.h"

const char *hv_strerror(int err)
{
    switch (err < 0 ? -err : err) {
    case EPERM:   return "not permitted (EPERM)";
    case ENOEXEC: return "not a loadable image (ENOEXEC)";
    case ENOMEM:  return "out of memory (ENOMEM)";
    case EFAULT:  return "bad address (EFAULT)";
    case ENODEV:  return "no such device (ENODEV)";
    case EINVAL:  return "invalid argument (EINVAL)";
    case ENOSPC:  return "no space left (ENOSPC)";
    case ERANGE:  return "out of range (ERANGE)";
    case ENOSYS:  return "not implemented (ENOSYS)";
    default:      return "unknown error";
    }
}
