// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal module to replace with your own: it logs when it is loaded and unloaded.
 */
#include <linux/init.h>
#include <linux/module.h>

static int __init ext_init(void)
{
	pr_info("loaded\n");
	return 0;
}

static void __exit ext_exit(void)
{
	pr_info("unloaded\n");
}

module_init(ext_init);
module_exit(ext_exit);

MODULE_DESCRIPTION("{{NAME}}");
MODULE_LICENSE("GPL");
