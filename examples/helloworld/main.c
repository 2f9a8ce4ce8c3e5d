/* helloworld: create the service, bind its handler, run until SIGTERM. */
#include <stdio.h>

#include <micro.h>

#include "handler.h"

int main(void)
{
    struct micro_service *svc = micro_service_new("helloworld");
    int rc;

    if (!svc) {
        fprintf(stderr, "helloworld: cannot create the service\n");
        return 1;
    }
    rc = helloworld_register(svc);
    if (rc == 0)
        rc = micro_service_run(svc);
    else
        micro_log_error("cannot bind the handlers: %s", micro_strerror(rc));
    micro_service_free(svc);
    return rc < 0 ? 1 : 0;
}
