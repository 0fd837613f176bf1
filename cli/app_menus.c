/*
 * app_menus.c: loading the menu folder for the commands that run dialogs (the daemon,
 * `try`, `check`), with the handler registry and the districts of the map (geo.h), and
 * every problem printed as FILE:LINE:COL.
 */
#include <stdio.h>

#include "app.h"
#include "geo.h"
#include "handler.h"
#include "menu_load.h"

void app_menu_opts(struct menu_load_opts *mo)
{
    menu_load_opts_default(mo);
    mo->handler_exists = handler_exists;
    mo->handler_names = handler_names(&mo->n_handler_names);
    mo->districts = geo_district_names(&mo->n_districts);
}

struct menu_set *app_load_menus(const char *dir, const struct config *cfg, int quiet)
{
    struct menu_load_opts mo;
    struct diags d = {0};
    (void)cfg;
    app_menu_opts(&mo);
    struct menu_set *set = menu_load_dir(dir, &mo, &d);
    if (!set || !quiet)
        diag_print(&d, stderr);
    if (!set)
        fprintf(stderr, "ussdgw: %s: %zu error(s); fix them and try again\n", dir, d.errors);
    diag_free(&d);
    return set;
}
